/**
 * The original project's tools, as `deno task conformance URL` and `deno task stress URL`,
 * against the real server, and against a fake one that answers wrongly (the tools must say so).
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/memcached.ts";
import { REPO, startServer } from "./helpers/server.ts";

async function task(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

/** A server that answers every request "200 hello", whatever it was asked, then closes. */
function wrongServer(): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      (async () => {
        const buf = new Uint8Array(65536);
        await c.read(buf).catch(() => null);
        const reply = "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 04:00:00 GMT\r\n" +
          "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
        await c.write(new TextEncoder().encode(reply)).catch(() => 0);
        c.close();
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

Deno.test("deno task conformance passes our server, printing each status line and its fields", async () => {
  const s = await startServer();
  try {
    const r = await task(["conformance", s.url]);
    assert.equal(r.code, 0, r.out);
    const summary = /^(\d+) passed, 0 failed$/m.exec(r.out);
    assert.ok(summary !== null && Number(summary[1]) >= 100, r.out.slice(-500));
    for (
      const line of [
        "< HTTP/1.1 200 OK",
        "< HTTP/1.1 206 Partial Content",
        "< HTTP/1.1 304 Not Modified",
        "< HTTP/1.1 403 Forbidden",
        "< HTTP/1.1 404 Not Found",
        "< HTTP/1.1 412 Precondition Failed",
        "< HTTP/1.1 416 Range Not Satisfiable",
        "< HTTP/1.1 400 Bad Request",
        "< HTTP/1.1 501 Not Implemented",
        "< Content-Range: bytes 0-100/2550",
        "> GET /index.html HTTP/1.1",
        "> Range: bytes=0-100",
      ]
    ) assert.ok(r.out.includes(line), line);
    assert.doesNotMatch(r.out, /^FAIL/m);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

Deno.test("deno task conformance fails a server that answers wrongly, and says what is wrong", async () => {
  const w = wrongServer();
  try {
    const r = await task([
      "conformance",
      "--quiet",
      "--paths",
      "/a.txt",
      `http://127.0.0.1:${w.port}`,
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      /^FAIL GET \/a\.txt Range: bytes=0-100 -> 206.*\n(.*\n)* {2}! status 200, expected 206$/m,
    );
    assert.match(
      r.out,
      /^FAIL GET and HEAD of a missing file.*\n(.*\n)* {2}! status 200, expected 404$/m,
    );
    assert.match(r.out, /^FAIL HTTP\/1\.1 without Host/m);
    assert.match(r.out, /^\d+ passed, [1-9]\d* failed$/m);
  } finally {
    w.close();
  }
  const none = await task(["conformance", `http://127.0.0.1:${freePort()}`]);
  assert.equal(none.code, 2);
  assert.match(none.out, /cannot reach/);
});

Deno.test("deno task stress loads our server with GET, HEAD and POST and reports no errors", async () => {
  const s = await startServer();
  try {
    const r = await task(["stress", "--clients", "4", "--duration", "2", s.url]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      /^stress http:\/\/127\.0\.0\.1:\d+: 4 clients, \d+\.\d s, GET\/HEAD\/POST of 7 path\(s\)$/m,
    );
    const requests = Number(/^requests {2}(\d+) /m.exec(r.out)![1]);
    assert.ok(requests > 0);
    assert.match(r.out, /^errors {4}0$/m);
    assert.equal(r.out.match(/^statuses {2}200: (\d+)$/m)?.[1], String(requests), r.out);
    assert.match(r.out, /^latency {3}p50 \S+ {2}p90 \S+ {2}p99 \S+ {2}p99\.9 \S+ {2}max \S+$/m);
    assert.match(r.err, /requests .* req\/s .* errors/, "a progress line");
    // The server saw them all: one access-log line per request (logs are flushed on stop).
    await s.stop();
    const lines = s.readLog("access.log").trim().split("\n").filter((l) =>
      /"(GET|HEAD|POST) \//.test(l)
    );
    assert.equal(lines.length, requests);
  } finally {
    await s.stop();
  }
});

Deno.test("deno task stress refuses a remote host and counts the errors of a dead one", async () => {
  const remote = await task(["stress", "-d", "1", "http://192.0.2.1/"]);
  assert.equal(remote.code, 2);
  assert.match(remote.err, /refusing to load 192\.0\.2\.1: it is not this machine's loopback/);
  const dead = await task(["stress", "-c", "2", "-d", "1", `http://127.0.0.1:${freePort()}`]);
  assert.equal(dead.code, 1);
  assert.match(dead.out, /^errors {4}[1-9]\d* \(connect: \d+\)$/m);
  const bounded = await task(["stress", "-c", "5000", "http://127.0.0.1:1/"]);
  assert.equal(bounded.code, 2);
  assert.match(bounded.err, /--clients: expected an integer from 1 to 1000/);
});
