/**
 * `httpserver --hash-password USER`: the password comes from standard input, the PasswordFile
 * line goes to standard output, and the server accepts that line.
 */
import assert from "node:assert/strict";
import { parsePasswordFile, verifyPassword } from "../lib/auth/password_file.ts";
import { join } from "./helpers/paths.ts";
import { eventually, REPO, RUN_FLAGS } from "./helpers/server.ts";
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

/**
 * Run `--hash-password USER` on a terminal (util-linux `script` gives it a pty) and type each
 * answer once the prompt it answers is on the screen. What the terminal showed is returned.
 */
async function onTerminal(
  user: string,
  answers: string[],
): Promise<{ code: number; screen: string }> {
  const quoted = [Deno.execPath(), ...RUN_FLAGS, join(REPO, "main.ts"), "--hash-password", user]
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const p = new Deno.Command("script", {
    args: ["-qec", `exec ${quoted}`, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let screen = "";
  const read = (async () => {
    for await (const t of p.stdout.pipeThrough(new TextDecoderStream())) screen += t;
  })();
  const w = p.stdin.getWriter();
  const kill = setTimeout(() => p.kill("SIGKILL"), 30_000);
  try {
    let prompts = 0;
    for (const answer of answers) {
      // Echo is off before the prompt shows: typing after it can never be echoed.
      await eventually(
        () => (screen.match(/password for /g) ?? []).length > prompts,
        20_000,
        "a prompt",
      );
      prompts++;
      await w.write(new TextEncoder().encode(answer));
    }
    const { code } = await p.status;
    await read;
    return { code, screen };
  } finally {
    clearTimeout(kill);
    await w.close().catch(() => {});
    await p.stderr.cancel().catch(() => {});
  }
}

Deno.test({
  name: "--hash-password on a terminal prompts on stderr, twice, and never echoes the password",
  ignore: !BLACK_BOX,
  async fn() {
    const r = await onTerminal("alice", ["s3cret pass\r", "s3cret pass\r"]);
    assert.equal(r.code, 0, r.screen);
    assert.match(r.screen, /New password for alice: /);
    assert.match(r.screen, /Retype the password for alice: /);
    assert.doesNotMatch(r.screen, /s3cret/);
    const line = /^alice:pbkdf2-sha256\S+$/m.exec(r.screen.replaceAll("\r", ""))![0];
    const users = parsePasswordFile(line);
    assert.equal(await verifyPassword("s3cret pass", users.get("alice")!), true);
    // Typing errors corrected with Backspace are not part of the password.
    const fixed = await onTerminal("bob", ["pw\x7f\x7fpw2\r", "pw2\r"]);
    assert.equal(fixed.code, 0, fixed.screen);
    const bob = parsePasswordFile(/^bob:\S+$/m.exec(fixed.screen.replaceAll("\r", ""))![0]);
    assert.equal(await verifyPassword("pw2", bob.get("bob")!), true);
  },
});

Deno.test({
  name: "--hash-password on a terminal refuses two different passwords and Ctrl-C",
  ignore: !BLACK_BOX,
  async fn() {
    const differ = await onTerminal("alice", ["one\r", "two\r"]);
    assert.equal(differ.code, 1);
    assert.match(differ.screen, /the two passwords differ/);
    assert.doesNotMatch(differ.screen, /alice:pbkdf2/);
    const cancelled = await onTerminal("alice", ["abc\x03"]);
    assert.equal(cancelled.code, 1);
    assert.match(cancelled.screen, /cancelled/);
  },
});
