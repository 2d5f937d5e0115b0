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

Deno.test("resourceHash() is the 64-bit FNV-1a of the name's UTF-8 bytes", () => {
  assert.equal(resourceHash("foobar"), "85944171f73967e8"); // the published vector
  assert.equal(resourceHash(""), "cbf29ce484222325");
  // "ü" is two UTF-8 bytes, c3 bc: hashed as those, not as its one UTF-16 code unit.
  let h = 0xcbf29ce484222325n;
  for (const b of [0x2f, 0xc3, 0xbc]) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  assert.equal(resourceHash("/ü"), h.toString(16).padStart(16, "0"));
});
