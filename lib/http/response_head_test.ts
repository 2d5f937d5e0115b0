import { assertEquals } from "./test_assert.ts";
import assert from "node:assert/strict";
import { encodeChunk, fieldLines, headText, joinFieldLines } from "./response_head.ts";
import { isBodyless, reasonPhrase } from "./status.ts";

Deno.test("headText() writes the status line, fields in order and the empty line", () => {
  assertEquals(
    headText(404, [["Content-Length", "0"], ["X-A", "1"]]),
    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n",
  );
});

Deno.test("headText() refuses values that could split the response", () => {
  assert.throws(() => headText(200, [["Location", "/a\r\nSet-Cookie: x=1"]]), TypeError);
  assert.throws(() => headText(200, [["Bad Name", "x"]]), TypeError);
});

Deno.test("fieldLines() encodes checked lines once, and joinFieldLines() keeps their order", () => {
  const dec = new TextDecoder();
  const a = fieldLines([["Retry-After", "1"]]);
  const b = fieldLines([["Connection", "close"], ["X-A", "é"]]);
  assertEquals(dec.decode(a), "Retry-After: 1\r\n");
  assertEquals(
    dec.decode(joinFieldLines(a, b)),
    "Retry-After: 1\r\nConnection: close\r\nX-A: é\r\n",
  );
  assert.throws(() => fieldLines([["Location", "/a\nSet-Cookie: x=1"]]), TypeError);
  assert.throws(() => fieldLines([["", "x"]]), TypeError);
});

Deno.test("encodeChunk() frames data as hex size CRLF data CRLF", () => {
  assertEquals(
    new TextDecoder().decode(encodeChunk(new TextEncoder().encode("x".repeat(26)))),
    "1a\r\n" + "x".repeat(26) + "\r\n",
  );
});

Deno.test("reasonPhrase() and isBodyless() follow RFC 9110", () => {
  assertEquals(reasonPhrase(413), "Content Too Large");
  assertEquals(reasonPhrase(599), "Unknown");
  assertEquals([100, 204, 304, 200, 404].map(isBodyless), [true, true, true, false, false]);
});
