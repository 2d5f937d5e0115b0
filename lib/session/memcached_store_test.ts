import assert from "node:assert/strict";
import { parseDecimal, resourceHash } from "./memcached_store.ts";

// The store itself is tested against a real memcached in tests/sessions_test.ts.

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("parseDecimal() reads digits and rejects empty, signs, spaces and overflow", () => {
  assert.equal(parseDecimal(bytes("0"), 0, 1), 0);
  assert.equal(parseDecimal(bytes("12345 x"), 0, 5), 12345);
  assert.equal(parseDecimal(bytes("9007199254740991"), 0, 16), Number.MAX_SAFE_INTEGER);
  for (const s of ["", "-1", "+1", " 1", "1 ", "1a", "9007199254740992"]) {
    assert.equal(parseDecimal(bytes(s), 0, s.length), null, s);
  }
});

Deno.test("resourceHash() gives 16 hex digits, stable and different for near names", () => {
  const h = resourceHash("/index.html");
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.equal(resourceHash("/index.html"), h);
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(resourceHash(`/file${i}.html`));
  assert.equal(seen.size, 10_000);
  assert.notEqual(resourceHash("/a"), resourceHash("/b"));
  assert.match(resourceHash("/ü\n<x> y"), /^[0-9a-f]{16}$/);
});
