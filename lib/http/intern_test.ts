import assert from "node:assert/strict";
import fc from "fast-check";
import { latin1 } from "./chars.ts";
import { Interner } from "./intern.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("Interner gives back the same string object for the same bytes", () => {
  const t = new Interner(64, 32);
  const a = t.get(bytes("xx/index.htmlyy"), 2, 13);
  const b = t.get(bytes("/index.html"), 0, 11);
  assert.equal(a, "/index.html");
  assert.equal(b, a);
});

Deno.test("Interner is latin1 for every byte, lower-cases names, and skips long spans", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const t = new Interner(8, 300);
  const s = t.get(all, 0, 256);
  for (let i = 0; i < 256; i++) assert.equal(s.charCodeAt(i), i);
  assert.equal(new Interner(8, 64, true).get(bytes("Content-Type"), 0, 12), "content-type");
  assert.equal(new Interner(8, 4).get(bytes("abcdef"), 0, 6), "abcdef");
});

Deno.test("Interner never returns another span's string, whatever collides (property)", () => {
  // One slot: every lookup collides with the previous one.
  const t = new Interner(1, 64);
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 20 }),
      (spans) => {
        for (const b of spans) assert.equal(t.get(b, 0, b.length), latin1(b, 0, b.length));
      },
    ),
  );
});

Deno.test("Interner wants a power-of-two table", () => {
  assert.throws(() => new Interner(100, 8), RangeError);
});
