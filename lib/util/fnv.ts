/**
 * FNV-1a hashes (Fowler, Noll, Vo; draft-eastlake-fnv): for hash tables and short keys, never
 * for anything an adversary must not be able to collide. Pure.
 *
 * ```
 * hash = offset basis
 * for each octet: hash = (hash XOR octet) * FNV prime    (mod 2^32 or 2^64)
 * ```
 * @module
 */

const OFFSET_32 = 0x811c9dc5;
const PRIME_32 = 0x01000193;

/**
 * 32-bit FNV-1a of `bytes[start, end)`.
 * @returns the hash as an unsigned 32-bit integer
 * @example
 * fnv1a32(new TextEncoder().encode("foobar")); // 0xbf9cf968
 */
export function fnv1a32(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  let h = OFFSET_32;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, PRIME_32);
  return h >>> 0;
}

/**
 * 32-bit FNV-1a over a string's UTF-16 code units, one unit per step (no encoding to bytes
 * first). The same as fnv1a32() of the bytes for a latin1 string, e.g. any ASCII one.
 * @returns the hash as an unsigned 32-bit integer
 * @example
 * fnv1a32Utf16("foobar"); // 0xbf9cf968
 */
export function fnv1a32Utf16(s: string): number {
  let h = OFFSET_32;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME_32);
  return h >>> 0;
}

/**
 * 64-bit FNV-1a of `bytes` as 16 lower-case hex digits. The state is four 16-bit limbs, so
 * every product stays exact in a double: the prime is 2^40 + 0x1b3, so multiplying is each
 * limb times 0x1b3, plus the low two limbs shifted up by 40 bits, carried from the bottom.
 * @example
 * fnv1a64Hex(new TextEncoder().encode("foobar")); // "85944171f73967e8"
 */
export function fnv1a64Hex(bytes: Uint8Array): string {
  // Offset basis 0xcbf29ce484222325, lowest limb first.
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    h3 = (h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16)) & 0xffff;
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
  }
  return [h3, h2, h1, h0].map((l) => l.toString(16).padStart(4, "0")).join("");
}
