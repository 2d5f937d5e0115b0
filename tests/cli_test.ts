/**
 * The command line and start-up checks, run as real processes.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { configText, REPO, RUN_FLAGS, tempDir } from "./helpers/server.ts";

async function server(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, join(REPO, "main.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

function writeConf(text: string): string {
  const path = join(tempDir(), "http.conf");
  Deno.writeTextFileSync(path, text);
  return path;
}

Deno.test("--help and --version print to stdout and exit 0", async () => {
  const help = await server(["--help"]);
  assertEquals(help.code, 0);
  for (const flag of ["--config", "--port", "--root", "--workers", "--check-config", "--version"]) {
    assert.ok(help.out.includes(flag), flag);
  }
  const v = await server(["--version"]);
  assertEquals(v.code, 0);
  assert.match(v.out, /^httpserver \d+\.\d+\.\d+\n$/);
});

Deno.test("an unknown flag or a bad --port is refused with exit 2", async () => {
  assertEquals((await server(["--bogus"])).code, 2);
  const bad = await server(["--port", "99999"]);
  assertEquals(bad.code, 2);
  assert.ok(bad.err.includes("port"));
});

Deno.test("--check-config validates the bundled http.conf", async () => {
  const r = await server(["--check-config"]);
  assertEquals(r.code, 0, r.err);
  assert.match(r.out, /syntax is ok/);
});

Deno.test("an unknown key stops start-up naming the file, line and key", async () => {
  const path = writeConf(
    configText({ DocumentRoot: join(REPO, "www/html") }) + "\nFrobnicate = 3\n",
  );
  const lines = Deno.readTextFileSync(path).split("\n");
  const line = lines.findIndex((l) => l.startsWith("Frobnicate")) + 1;
  const r = await server(["--config", path, "--check-config"]);
  assertEquals(r.code, 1);
  assert.ok(r.err.includes(`http.conf:${line}: Frobnicate`), r.err);
});

Deno.test("a bad value stops start-up naming the key and line", async () => {
  const text = configText({ DocumentRoot: join(REPO, "www/html"), Workers: "many" });
  const line = text.split("\n").findIndex((l) => l.startsWith("Workers")) + 1;
  const r = await server(["--config", writeConf(text)]);
  assertEquals(r.code, 1);
  assert.ok(r.err.includes(`http.conf:${line}: Workers:`), r.err);
  assertEquals(r.out, "");
});

Deno.test("a missing DocumentRoot stops start-up naming the key and line", async () => {
  const text = configText({ DocumentRoot: "/nonexistent/site" });
  const line = text.split("\n").findIndex((l) => l.startsWith("DocumentRoot")) + 1;
  const r = await server(["--config", writeConf(text), "--check-config"]);
  assertEquals(r.code, 1);
  assert.ok(
    r.err.includes(`http.conf:${line}: DocumentRoot: "/nonexistent/site" is not a folder`),
    r.err,
  );
});

Deno.test("a port already in use fails start-up with a clear message", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  try {
    const text = configText({
      DocumentRoot: join(REPO, "www/html"),
      ErrorPages: join(REPO, "error"),
      Listen: `127.0.0.1:${port}`,
      AccessLog: join(tempDir(), "a.log"),
      ErrorLog: join(tempDir(), "e.log"),
    });
    const r = await server(["--config", writeConf(text)]);
    assertEquals(r.code, 1);
    assert.ok(r.err.includes(`Cannot listen on 127.0.0.1:${port}`), r.err);
  } finally {
    l.close();
  }
});

Deno.test("a log folder that does not exist stops start-up naming the key and line", async () => {
  const text = configText({
    DocumentRoot: join(REPO, "www/html"),
    AccessLog: "/nonexistent/access.log",
  });
  const line = text.split("\n").findIndex((l) => l.startsWith("AccessLog")) + 1;
  const r = await server(["--config", writeConf(text), "--port", "0"]);
  assertEquals(r.code, 1);
  assert.ok(
    r.err.includes(`http.conf:${line}: AccessLog: cannot open "/nonexistent/access.log"`),
    r.err,
  );
});

Deno.test("deno task start passes --port 0 through to the server", async () => {
  const dir = tempDir();
  const conf = join(dir, "http.conf");
  Deno.writeTextFileSync(
    conf,
    configText({
      DocumentRoot: join(REPO, "www/html"),
      ErrorPages: join(REPO, "error"),
      AccessLog: join(dir, "a.log"),
      ErrorLog: join(dir, "e.log"),
      Listen: "127.0.0.1:8080",
      Memcached: "",
    }),
  );
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["task", "start", "--port", "0", "--config", conf],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const m = /^httpserver listening on http:\/\/127\.0\.0\.1:(\d+) \(\d+ workers\)$/m.exec(out);
  assert.ok(m, out);
  assert.notEqual(Number(m[1]), 8080);
  const res = await fetch(`http://127.0.0.1:${m[1]}/hello.txt`);
  assertEquals(res.status, 200);
  await res.body?.cancel();
  proc.kill("SIGTERM");
  reader.releaseLock();
  await proc.stdout.cancel().catch(() => {});
  await proc.stderr.cancel();
  assertEquals((await proc.status).code, 0);
});

Deno.test("an unreadable or malformed PasswordFile stops start-up naming the key and line", async () => {
  const dir = tempDir();
  const pw = join(dir, "passwords");
  Deno.writeTextFileSync(pw, "alice:plaintext\n");
  const text = configText({
    DocumentRoot: join(REPO, "www/html"),
    WriteAccess: "On",
    PasswordFile: pw,
  });
  const line = text.split("\n").findIndex((l) => l.startsWith("PasswordFile")) + 1;
  const r = await server(["--config", writeConf(text), "--check-config"]);
  assertEquals(r.code, 1);
  assert.ok(r.err.includes(`http.conf:${line}: PasswordFile: "${pw}"`), r.err);
});
