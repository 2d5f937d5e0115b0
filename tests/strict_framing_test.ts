/**
 * Black-box tests of framing strictness and the access log's request line, over a real socket:
 * framing fields trimmed of SP/HTAB only (never NBSP), HTTP/1.0 with Transfer-Encoding closed
 * after its response (RFC 9112 §6.1), and request lines logged as received, escaped.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../lib/http/test_assert.ts";
import { rawExchange, startServer, statusOf } from "./helpers/server.ts";

function header(response: string, name: string): string | undefined {
  const head = response.slice(0, response.indexOf("\r\n\r\n"));
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1];
}

const statuses = (r: string) => [...r.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));

Deno.test("framing fields are trimmed of SP and HTAB only: NBSP around chunked or a length is 400", async () => {
  const s = await startServer();
  try {
    const cases = [
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \xa0chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xa05\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\xa0\r\n\r\nhello",
      "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\xa05\r\n\r\nhello",
    ];
    for (const req of cases) {
      // A request after it: a server that read the framing leniently would answer it too.
      const r = await rawExchange(s.port, req + "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
      assertEquals(statuses(r), [400], JSON.stringify(req));
      assertEquals(header(r, "Connection"), "close", JSON.stringify(req));
    }
    // SP and HTAB around the value are optional whitespace and stay accepted.
    const ok = await rawExchange(
      s.port,
      "GET /hello.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \t chunked \t\r\n" +
        "Connection: close\r\n\r\n0\r\n\r\n",
    );
    assertEquals(statusOf(ok), 200);
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("HTTP/1.0 with Transfer-Encoding is answered and the connection closed, keep-alive or not", async () => {
  const s = await startServer();
  try {
    const te10 = "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    const next = "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const r = await rawExchange(s.port, te10 + next, { idleMs: 5000 });
    assertEquals(statuses(r), [200], "the pipelined request after it is not answered");
    assertEquals(header(r, "Connection"), "close");
    // The same pair without Transfer-Encoding keeps the connection (both answered).
    const plain = "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const k = await rawExchange(s.port, plain + plain, { idleMs: 500 });
    assertEquals(statuses(k), [200, 200]);
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("the access log keeps the request line's version as sent and escapes quotes, backslashes and control bytes", async () => {
  const s = await startServer();
  const cases: Array<[string, number, string]> = [
    ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, `"GET / HTTP/2.0" 505 `],
    ["GET / HTTP/0.9\r\n\r\n", 505, `"GET / HTTP/0.9" 505 `],
    ["GET /hello.txt HTTP/1.9\r\nHost: a\r\n\r\n", 200, `"GET /hello.txt HTTP/1.9" 200 `],
    ['GET /a"b\\c HTTP/1.1\r\nHost: a\r\n\r\n', 400, `"GET /a\\"b\\\\c HTTP/1.1" 400 `],
    [
      "GET /\x01\x1b[31m\x7f\xff HTTP/1.1\r\nHost: a\r\n\r\n",
      400,
      `"GET /\\x01\\x1b[31m\\x7f\\xff HTTP/1.1" 400 `,
    ],
    [
      'GET /x HTTP/1.1" 200 1 "-" "forged\r\nHost: a\r\n\r\n',
      400,
      `"GET /x HTTP/1.1\\" 200 1 \\"-\\" \\"forged" 400 `,
    ],
  ];
  try {
    for (const [req] of cases) {
      const r = await rawExchange(s.port, req);
      assert.ok(r.startsWith("HTTP/1.1 "), JSON.stringify(req));
    }
  } finally {
    assertEquals(await s.stop(), 0);
  }
  const log = s.readLog("access.log");
  const lines = log.trimEnd().split("\n");
  assertEquals(lines.length, cases.length, log);
  for (const [req, status, expected] of cases) {
    const line = lines.find((l) => l.includes(expected));
    assert.ok(line !== undefined, `no line with ${expected} for ${JSON.stringify(req)}:\n${log}`);
    assert.ok(line.includes(`" ${status} `));
    // Printable ASCII only: nothing the client sent can start a line or colour a terminal.
    assert.match(line, /^[\x20-\x7e]+$/);
  }
});
