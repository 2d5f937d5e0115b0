/**
 * `httpserver --hash-password USER`: the password comes from standard input, the PasswordFile
 * line goes to standard output, and the server accepts that line.
 */
import assert from "node:assert/strict";
import { parsePasswordFile, verifyPassword } from "../lib/auth/password_file.ts";
import { join } from "./helpers/paths.ts";
import { REPO, RUN_FLAGS } from "./helpers/server.ts";
import { BLACK_BOX } from "./helpers/writable.ts";

async function hashCommand(args: string[], stdin: string) {
  const proc = new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, join(REPO, "main.ts"), ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = proc.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await proc.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "--hash-password USER prints a PasswordFile line for the password on stdin",
  ignore: !BLACK_BOX,
  async fn() {
    const r = await hashCommand(["--hash-password", "alice"], "correct horse\n");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^alice:pbkdf2-sha256\$600000\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*\n$/);
    const users = parsePasswordFile(r.stdout);
    assert.equal(await verifyPassword("correct horse", users.get("alice")!), true);
    assert.equal(await verifyPassword("correct horse\n", users.get("alice")!), false);
  },
});

Deno.test({
  name: "--hash-password refuses an empty password and a user name with a colon",
  ignore: !BLACK_BOX,
  async fn() {
    const empty = await hashCommand(["--hash-password", "alice"], "\n");
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty password/);
    assert.equal(empty.stdout, "");
    const colon = await hashCommand(["--hash-password", "a:b"], "pw\n");
    assert.equal(colon.code, 2);
    assert.equal(colon.stdout, "");
  },
});
