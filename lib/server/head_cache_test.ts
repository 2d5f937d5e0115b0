import { assertEquals } from "../http/test_assert.ts";
import assert from "node:assert/strict";
import type { ResponseFields } from "../http/response_head.ts";
import { HeadCache } from "./head_cache.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("HeadCache.build() writes status line, Server, Date, fields, extra fields and CRLF", () => {
  const h = new HeadCache("test", () => "Thu, 01 Jan 1970 00:00:00 GMT");
  const fields: ResponseFields = [["Content-Length", "3"], ["ETag", '"x"']];
  assertEquals(
    text(h.build(200, fields, [["Connection", "close"]])),
    'HTTP/1.1 200 OK\r\nServer: test\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 3\r\nETag: "x"\r\nConnection: close\r\n\r\n',
  );
  assertEquals(
    text(h.build(404, [], [])),
    "HTTP/1.1 404 Not Found\r\nServer: test\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n",
  );
});

Deno.test("HeadCache follows the Date value as it changes", () => {
  let date = "Thu, 01 Jan 1970 00:00:00 GMT";
  const h = new HeadCache("t", () => date);
  const fields: ResponseFields = [];
  h.build(200, fields, []);
  date = "Thu, 01 Jan 1970 00:00:01 GMT";
  assert.ok(text(h.build(200, fields, [])).includes("00:00:01 GMT"));
});

Deno.test("HeadCache refuses fields that could split the response, extra ones too", () => {
  const h = new HeadCache("t", () => "d");
  assert.throws(() => h.build(200, [["X", "a\r\nb"]], []), TypeError);
  assert.throws(() => h.build(200, [], [["Set-Cookie", "a\nb"]]), TypeError);
});

Deno.test("HeadCache.build() appends the body and encodes non-ASCII extra fields as UTF-8", () => {
  const h = new HeadCache("t", () => "d");
  const out = text(
    h.build(200, [["Content-Length", "2"]], [["X-Name", "café"]], new TextEncoder().encode("hi")),
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
  const start = h.writeBefore(
    200,
    [["Content-Length", "2"]],
    [["Connection", "close"]],
    null,
    out,
    100,
  );
  assertEquals(
    text(out.subarray(start)),
    "HTTP/1.1 200 OK\r\nServer: t\r\nDate: d\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
  );
  assertEquals(h.writeBefore(200, [["X", "y".repeat(200)]], [], null, out, 100), -1);
});

Deno.test("HeadCache puts pre-encoded lines after the extra fields, in both builders", () => {
  const h = new HeadCache("t", () => "d");
  const lines = new TextEncoder().encode("Set-Cookie: a=b\r\n");
  const want = "HTTP/1.1 200 OK\r\nServer: t\r\nDate: d\r\nContent-Length: 2\r\n" +
    "Connection: close\r\nSet-Cookie: a=b\r\n\r\nhi";
  const body = new TextEncoder().encode("hi");
  const built = h.build(200, [["Content-Length", "2"]], [["Connection", "close"]], body, lines);
  assertEquals(text(built), want);
  const out = new Uint8Array(200 + 2);
  out.set(body, 200);
  const start = h.writeBefore(
    200,
    [["Content-Length", "2"]],
    [["Connection", "close"]],
    lines,
    out,
    200,
  );
  assertEquals(text(out.subarray(start)), want);
  // Too long to fit before the body once the lines are counted.
  assertEquals(h.writeBefore(200, [["X", "y".repeat(150)]], [], lines, out, 200), -1);
  assert(h.writeBefore(200, [["X", "y".repeat(150)]], [], null, out, 200) >= 0);
});
