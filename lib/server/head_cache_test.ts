import { assertEquals } from "../http/test_assert.ts";
import assert from "node:assert/strict";
import { fieldLines, type ResponseFields } from "../http/response_head.ts";
import { HeadCache } from "./head_cache.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const CLOSE = fieldLines([["Connection", "close"]]);

Deno.test("HeadCache.build() writes status line, Server, Date, fields, framing fields and CRLF", () => {
  const h = new HeadCache("test", () => "Thu, 01 Jan 1970 00:00:00 GMT");
  const fields: ResponseFields = [["Content-Length", "3"], ["ETag", '"x"']];
  assertEquals(
    text(h.build(200, fields, null, CLOSE)),
    'HTTP/1.1 200 OK\r\nServer: test\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 3\r\nETag: "x"\r\nConnection: close\r\n\r\n',
  );
  assertEquals(
    text(h.build(404, [], null, null)),
    "HTTP/1.1 404 Not Found\r\nServer: test\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n",
  );
});

Deno.test("HeadCache follows the Date value as it changes", () => {
  let date = "Thu, 01 Jan 1970 00:00:00 GMT";
  const h = new HeadCache("t", () => date);
  const fields: ResponseFields = [];
  h.build(200, fields, null, null);
  date = "Thu, 01 Jan 1970 00:00:01 GMT";
  assert.ok(text(h.build(200, fields, null, null)).includes("00:00:01 GMT"));
});

Deno.test("HeadCache refuses a plan's field that could split the response", () => {
  const h = new HeadCache("t", () => "d");
  assert.throws(() => h.build(200, [["X", "a\r\nb"]], null, null), TypeError);
  assert.throws(() => h.build(200, [["Bad Name", "b"]], null, null), TypeError);
});

Deno.test("HeadCache.build() appends the body and encodes non-ASCII fields as UTF-8", () => {
  const h = new HeadCache("t", () => "d");
  const out = text(
    h.build(
      200,
      [["Content-Length", "2"], ["X-Name", "café"]],
      null,
      null,
      new TextEncoder().encode("hi"),
    ),
  );
  assertEquals(
    out,
    "HTTP/1.1 200 OK\r\nServer: t\r\nDate: d\r\nContent-Length: 2\r\nX-Name: café\r\n\r\nhi",
  );
});

Deno.test("HeadCache.writeBefore() ends the head exactly where the body starts, or refuses", () => {
  const h = new HeadCache("t", () => "d");
  const out = new Uint8Array(100 + 2);
  out.set(new TextEncoder().encode("hi"), 100);
  const start = h.writeBefore(200, [["Content-Length", "2"]], null, CLOSE, out, 100);
  assertEquals(
    text(out.subarray(start)),
    "HTTP/1.1 200 OK\r\nServer: t\r\nDate: d\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
  );
  assertEquals(h.writeBefore(200, [["X", "y".repeat(200)]], null, null, out, 100), -1);
});

Deno.test("HeadCache puts a response's extra lines after its fields and before the framing, in both builders", () => {
  const h = new HeadCache("t", () => "d");
  const lines = fieldLines([["Set-Cookie", "a=b"]]);
  const want = "HTTP/1.1 200 OK\r\nServer: t\r\nDate: d\r\nContent-Length: 2\r\n" +
    "Set-Cookie: a=b\r\nConnection: close\r\n\r\nhi";
  const body = new TextEncoder().encode("hi");
  const built = h.build(200, [["Content-Length", "2"]], lines, CLOSE, body);
  assertEquals(text(built), want);
  const out = new Uint8Array(200 + 2);
  out.set(body, 200);
  const start = h.writeBefore(200, [["Content-Length", "2"]], lines, CLOSE, out, 200);
  assertEquals(text(out.subarray(start)), want);
  // Too long to fit before the body once the lines are counted.
  assertEquals(h.writeBefore(200, [["X", "y".repeat(150)]], lines, null, out, 200), -1);
  assert(h.writeBefore(200, [["X", "y".repeat(150)]], null, null, out, 200) >= 0);
});
