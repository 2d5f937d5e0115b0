import assert from "node:assert/strict";
import fc from "fast-check";
import { blake2s } from "@noble/hashes/blake2.js";
import { Blake2sKey } from "./blake2s.ts";

const hex = (b: Uint8Array) => b.toHex();
/** Bytes 0, 1, 2, ... (i & 0xff), as in the reference known-answer files. */
const counting = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

// Keyed known answers: key = bytes 0x00..0x1f, message = bytes 0..n-1, 32-byte digest. The n = 0
// value is the first keyed entry of the reference blake2s-kat.txt; the others were computed
// with Python's hashlib.blake2s (which wraps the BLAKE2 reference code).
const KEYED_KAT: Array<[n: number, digest: string]> = [
  [0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"],
  [1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"],
  [2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"],
  [3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"],
  [63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"],
  [64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"],
  [65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"],
  [255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"],
];

Deno.test("Blake2sKey matches the keyed known answers for 0-3, 63-65 and 255 bytes", () => {
  const key = new Blake2sKey(counting(32));
  for (const [n, digest] of KEYED_KAT) {
    assert.equal(hex(key.mac(counting(n))), digest, `${n} bytes`);
    assert.equal(hex(key.mac(counting(n))), digest, `${n} bytes, the key used again`);
  }
});

// Truncated digests from Python's hashlib.blake2s(message, key=key, digest_size=outLength),
// with the first outLength bytes of the 32-byte digest beside them to show they differ.
const TRUNCATED: Array<
  [keyLength: number, n: number, outLength: number, want: string, cut: string]
> = [
  [32, 22, 17, "94aa909f5793a508204dca261910b93e0e", "20be1a875b38c573dd7faaa0de489d655c"],
  [32, 22, 16, "45ed610cfbc37db80c4bf0eef14ae8d6", "20be1a875b38c573dd7faaa0de489d65"],
  [16, 22, 17, "aacccf562d91e34261331e7e3771224a06", "0d83a024f5f789763500fe1d4bd6080b6b"],
  [16, 22, 16, "20651fca42af9d7e8f0af5ee5823fdb4", "0d83a024f5f789763500fe1d4bd6080b"],
  [16, 0, 17, "faa7752a29c1016d0805b9f5dd4c899f99", "fcfc1128807d157b01adec1ebe0a0927e5"],
  [32, 100, 17, "007bc96670c427f1c2a62208c6afea855e", "c376617014d20158bced3d3ba552b6eccf"],
  [7, 1000, 5, "5775cb26bb", ""],
];

Deno.test("a shorter digest is its own value, not a prefix of the 32-byte one", () => {
  for (const [keyLength, n, outLength, want, cut] of TRUNCATED) {
    const key = counting(keyLength);
    const name = `key ${keyLength}, message ${n}, digest ${outLength}`;
    assert.equal(hex(new Blake2sKey(key, outLength).mac(counting(n))), want, name);
    if (cut !== "") {
      assert.equal(hex(new Blake2sKey(key, 32).mac(counting(n)).subarray(0, outLength)), cut, name);
      assert.notEqual(want, cut, name);
    }
  }
});

Deno.test("Blake2sKey.macInto() equals @noble/hashes' keyed blake2s cut to length and writes nothing else", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.integer({ min: 1, max: 32 }),
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      fc.nat(),
      fc.nat(),
      (key, outLength, message, lengthSeed, offsetSeed) => {
        const length = lengthSeed % (outLength + 1);
        const offset = offsetSeed % 8;
        const want = blake2s(message, { key, dkLen: outLength }).subarray(0, length);
        const out = new Uint8Array(offset + length + 8).fill(0xa5);
        const k = new Blake2sKey(key, outLength);
        k.macInto(message, out, offset, length);
        assert.deepEqual(out.subarray(offset, offset + length), want);
        assert.ok(out.subarray(0, offset).every((b) => b === 0xa5), "bytes before");
        assert.ok(out.subarray(offset + length).every((b) => b === 0xa5), "bytes after");
        // The scratch state is reused: a second call gives the same answer.
        k.macInto(message, out, offset, length);
        assert.deepEqual(out.subarray(offset, offset + length), want);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("Blake2sKey.mac() of a cookie-sized payload equals @noble/hashes for 1000 random keys", () => {
  // The session cookie's shape: a 32-byte key, a 22-byte payload, a 17-byte tag.
  for (let i = 0; i < 1000; i++) {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const payload = crypto.getRandomValues(new Uint8Array(22));
    assert.equal(
      hex(new Blake2sKey(key, 17).mac(payload)),
      hex(blake2s(payload, { key, dkLen: 17 })),
    );
  }
});

Deno.test("Blake2sKey rejects out-of-range key and output lengths", () => {
  const m = counting(3);
  for (const outLength of [0, 33, -1, 1.5, NaN]) {
    assert.throws(
      () => new Blake2sKey(counting(16), outLength),
      RangeError,
      `outLength ${outLength}`,
    );
  }
  assert.throws(() => new Blake2sKey(counting(33)), RangeError);
  assert.throws(() => new Blake2sKey(new Uint8Array(0)), RangeError);
  const k = new Blake2sKey(counting(16), 17);
  assert.throws(() => k.macInto(m, new Uint8Array(32), 0, 18), RangeError);
  assert.throws(() => k.macInto(m, new Uint8Array(32), 0, -1), RangeError);
});
