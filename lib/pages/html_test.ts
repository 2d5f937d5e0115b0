import assert from "node:assert/strict";
import { encodePathSegment, escapeHtml } from "./html.ts";

Deno.test("escapeHtml() escapes & < > \" and '", () => {
  assert.deepEqual(
    escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;",
  );
});

Deno.test("escapeHtml() escapes an ampersand once, not an existing entity specially", () => {
  assert.deepEqual(escapeHtml("&amp;"), "&amp;amp;");
});

Deno.test("escapeHtml() neutralizes a script tag", () => {
  assert.deepEqual(
    escapeHtml("<script>alert(1)</script>"),
    "&lt;script&gt;alert(1)&lt;/script&gt;",
  );
});

Deno.test("escapeHtml() leaves plain text and non-ASCII unchanged", () => {
  assert.deepEqual(escapeHtml(""), "");
  assert.deepEqual(escapeHtml("héllo wörld {{x}} 😀"), "héllo wörld {{x}} 😀");
});

Deno.test("encodePathSegment() keeps only RFC 3986 unreserved characters", () => {
  assert.deepEqual(encodePathSegment("AZaz09-._~"), "AZaz09-._~");
});

Deno.test("encodePathSegment() encodes space, # and ? in a b#?.txt", () => {
  assert.deepEqual(encodePathSegment("a b#?.txt"), "a%20b%23%3F.txt");
});

Deno.test("encodePathSegment() encodes <x>.html and HTML-special characters", () => {
  assert.deepEqual(encodePathSegment("<x>.html"), "%3Cx%3E.html");
  assert.deepEqual(encodePathSegment(`&"'`), "%26%22%27");
});

Deno.test("encodePathSegment() encodes characters encodeURIComponent leaves alone", () => {
  assert.deepEqual(encodePathSegment("!'()*"), "%21%27%28%29%2A");
});

Deno.test("encodePathSegment() encodes / and % so a name stays one segment", () => {
  assert.deepEqual(encodePathSegment("a/b%2F"), "a%2Fb%252F");
});

Deno.test("encodePathSegment() encodes non-ASCII as UTF-8 bytes", () => {
  assert.deepEqual(encodePathSegment("é"), "%C3%A9");
  assert.deepEqual(encodePathSegment("😀"), "%F0%9F%98%80");
});

Deno.test("encodePathSegment() round-trips through decodeURIComponent", () => {
  for (const name of ["a b#?.txt", "<x>.html", "100%", "ünï cødé", "?&=+;,"]) {
    assert.deepEqual(decodeURIComponent(encodePathSegment(name)), name);
  }
});
