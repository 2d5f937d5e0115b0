import assert from "node:assert/strict";
import fc from "fast-check";
import { fnv1a32, fnv1a32Utf16, fnv1a64Hex } from "./fnv.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

// The FNV reference test vectors (draft-eastlake-fnv, also on the FNV authors' page).
const VECTORS: Array<[text: string, fnv1a32: number, fnv1a64: string]> = [
  ["", 0x811c9dc5, "cbf29ce484222325"],
  ["a", 0xe40c292c, "af63dc4c8601ec8c"],
  ["foobar", 0xbf9cf968, "85944171f73967e8"],
];

Deno.test("fnv1a32(), fnv1a32Utf16() and fnv1a64Hex() match the published FNV-1a vectors", () => {
  for (const [text, h32, h64] of VECTORS) {
    assert.equal(fnv1a32(bytes(text)), h32, text);
    assert.equal(fnv1a32Utf16(text), h32, text);
    assert.equal(fnv1a64Hex(bytes(text)), h64, text);
  }
});

Deno.test("fnv1a32() hashes only bytes[start, end)", () => {
  const b = bytes("xxfoobaryy");
  assert.equal(fnv1a32(b, 2, 8), 0xbf9cf968);
  assert.equal(fnv1a32(b, 5, 5), 0x811c9dc5);
});

/** FNV-1a the way the definition reads, in BigInt, as the oracle. */
function reference(b: Uint8Array, bits: 32 | 64): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  let h = bits === 32 ? 0x811c9dc5n : 0xcbf29ce484222325n;
  const prime = bits === 32 ? 0x01000193n : 0x100000001b3n;
  for (const x of b) h = ((h ^ BigInt(x)) * prime) & mask;
  return h;
}

Deno.test("fnv1a32() and fnv1a64Hex() equal the definition computed in BigInt", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      assert.equal(BigInt(fnv1a32(b)), reference(b, 32));
      assert.equal(fnv1a64Hex(b), reference(b, 64).toString(16).padStart(16, "0"));
    }),
    { numRuns: 500 },
  );
});

Deno.test("fnv1a32Utf16() steps once per UTF-16 code unit", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      let h = 0x811c9dc5n;
      for (let i = 0; i < s.length; i++) {
        h = ((h ^ BigInt(s.charCodeAt(i))) * 0x01000193n) & 0xffffffffn;
      }
      assert.equal(BigInt(fnv1a32Utf16(s)), h, JSON.stringify(s));
    }),
    { numRuns: 300 },
  );
  // A latin1 string hashes like its bytes.
  const latin1 = "caf\u00e9 \u00ff";
  assert.equal(fnv1a32Utf16(latin1), fnv1a32(Uint8Array.from(latin1, (c) => c.charCodeAt(0))));
});
