/**
 * Real clients against the real server: curl and wget (required; the test fails if missing).
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { eventually, startServer, tempDir } from "./helpers/server.ts";

async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  let r;
  try {
    r = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      ...(cwd ? { cwd } : {}),
    }).output();
  } catch (e) {
    throw new Error(`${cmd} is required for this test (apt-get install ${cmd}): ${e}`);
  }
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

function sameBytes(a: string, b: string): boolean {
  const x = Deno.readFileSync(a);
  const y = Deno.readFileSync(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("wget downloads the page and binary files byte-identical", async () => {
  const s = await startServer();
  try {
    const dir = tempDir();
    for (const f of ["index.html", "images/logo.png", "docs/guide.pdf", "media/sample.webm"]) {
      const r = await run("wget", ["-q", "-O", join(dir, "out"), `${s.url}/${f}`]);
      assertEquals(r.code, 0, `wget ${f}: ${r.err}`);
      assert.ok(sameBytes(join(dir, "out"), join(s.root, f)), f);
    }
    const root = await run("wget", ["-q", "-O", join(dir, "root.html"), `${s.url}/`]);
    assertEquals(root.code, 0);
    assert.ok(sameBytes(join(dir, "root.html"), join(s.root, "index.html")));
    const missing = await run("wget", ["-q", "-O", join(dir, "x"), `${s.url}/nope.html`]);
    assertEquals(missing.code, 8); // wget: server issued an error response
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("wget resumes a partial download with a Range request (-c)", async () => {
  const s = await startServer();
  try {
    const dir = tempDir();
    const full = Deno.readFileSync(join(s.root, "media/sample.webm"));
    Deno.writeFileSync(join(dir, "sample.webm"), full.subarray(0, 50_000));
    const r = await run("wget", ["-q", "-c", `${s.url}/media/sample.webm`], dir);
    assertEquals(r.code, 0, r.err);
    assert.ok(sameBytes(join(dir, "sample.webm"), join(s.root, "media/sample.webm")));
    const partial = /"GET \/media\/sample\.webm HTTP\/1\.1" 206 /;
    await eventually(() => partial.test(s.readLog("access.log")), 3000, "the 206 in access.log");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("curl sees HTTP/1.1 semantics: keep-alive reuse, HEAD, conditional GET, ranges", async () => {
  const s = await startServer();
  try {
    const reuse = await run("curl", [
      "-sv",
      "-o",
      "/dev/null",
      "-o",
      "/dev/null",
      `${s.url}/`,
      `${s.url}/style.css`,
    ]);
    assertEquals(reuse.code, 0);
    assert.match(reuse.err, /Re-using existing connection/);
    const head = await run("curl", ["-sI", `${s.url}/hello.txt`]);
    assert.match(head.out, /^HTTP\/1\.1 200 OK\r$/m);
    assert.match(head.out, /^Content-Type: text\/plain; charset=utf-8\r$/m);
    const etag = /^ETag: (.*)\r$/m.exec(head.out)![1]!;
    const cond = await run("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      `If-None-Match: ${etag}`,
      `${s.url}/hello.txt`,
    ]);
    assertEquals(cond.out, "304");
    const range = await run("curl", [
      "-s",
      "-r",
      "0-100",
      `${s.url}/media/sample.webm`,
      "-w",
      "\n%{http_code} %{size_download}",
    ]);
    assert.ok(range.out.endsWith("\n206 101"));
    const expect = await run("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      "Expect: 100-continue",
      "--data-binary",
      "x".repeat(2000),
      `${s.url}/hello.txt`,
    ]);
    assertEquals(expect.out, "200");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});
