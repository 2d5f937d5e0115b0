import assert from "node:assert/strict";
import { frameResponse } from "./http_probe.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("frameResponse() finds the end of a Content-Length response", () => {
  const b = enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1");
  assert.deepEqual(frameResponse(b, b.length), { status: 200, total: 40 });
});

Deno.test("frameResponse() asks for more until head and body are complete, at every split", () => {
  const b = enc("HTTP/1.1 404 Not Found\r\ncontent-length:  5 \r\nX: y\r\n\r\nnope!");
  for (let len = 0; len < b.length; len++) assert.equal(frameResponse(b, len), "more", `${len}`);
  assert.deepEqual(frameResponse(b, b.length), { status: 404, total: b.length });
});

Deno.test("frameResponse() ends a 304 or 204 at its head, whatever Content-Length says", () => {
  const b = enc('HTTP/1.1 304 Not Modified\r\nETag: "a"\r\nContent-Length: 1024\r\n\r\nHTTP/1.1');
  assert.deepEqual(frameResponse(b, b.length), { status: 304, total: b.length - 8 });
  const n = enc("HTTP/1.1 204 No Content\r\n\r\n");
  assert.deepEqual(frameResponse(n, n.length), { status: 204, total: n.length });
});

Deno.test("frameResponse() rejects responses it cannot frame", () => {
  for (
    const text of [
      "HTTP/2 200 OK\r\nContent-Length: 1\r\n\r\nx",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
    ]
  ) {
    const b = enc(text);
    assert.ok(frameResponse(b, b.length) instanceof Error, text);
  }
});
