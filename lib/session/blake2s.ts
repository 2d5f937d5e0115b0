/**
 * Keyed BLAKE2s (RFC 7693) for the session cookie's tag: synchronous and allocation-free.
 *
 * Why our own: every cookieless request signs a new cookie. Keyed BLAKE2s is a MAC by itself
 * (RFC 7693 §3.3: the key, padded to a block, is absorbed first), so `Blake2sKey` compresses
 * that key block once and a cookie's 22 bytes then cost one compression: ~0.2 µs a tag, where
 * `@noble/hashes` (the tests' oracle) takes 4-7 µs. Numbers in docs/PERFORMANCE.md.
 * @module
 */

/**
 * RFC 7693 §2.6: the initialization vector, the same words as SHA-256's initial hash value
 * (FIPS 180-4 §5.3.3).
 */
const IV = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

const BLOCK = 64;
/** RFC 7693 §2.1: BLAKE2s keys and digests are at most 32 bytes. */
const MAX_KEY = 32;
const MAX_OUT = 32;

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/**
 * RFC 7693 §2.7: the message word permutations, one row of 16 per round (rounds 0..9).
 */
const SIGMA = new Uint8Array([
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  ...[14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  ...[11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  ...[7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  ...[9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  ...[2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  ...[12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  ...[13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  ...[6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  ...[10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
]);

/**
 * The compression function F (RFC 7693 §3.2): `to` = F(`from`, `m`, t, f), where `m` holds the
 * 16 little-endian message words of the block, `t` the bytes absorbed including this block,
 * and `last` sets the final-block flag f0. `to` may be `from`.
 *
 * The 16 working words are locals and the loop body is one round: four column G's, then four
 * diagonal ones, each G(a, b, c, d, x, y) of RFC 7693 §3.1 four lines, one step per line, the
 * sum nested in the rotation: `d = rotr(d ^ (a = a + b + x), 16)`, `b = rotr(b ^ (c = c + d),
 * 12)`, then the same with y, 8 and 7; x and y are the message words the round's SIGMA row
 * names. A loop, not ten rounds written out: a tenth of the machine code, which the server
 * measured faster (docs/PERFORMANCE.md).
 */
function compress(
  from: Int32Array,
  to: Int32Array,
  m: Int32Array,
  t: number,
  last: boolean,
): void {
  let v0 = from[0]!, v1 = from[1]!, v2 = from[2]!, v3 = from[3]!;
  let v4 = from[4]!, v5 = from[5]!, v6 = from[6]!, v7 = from[7]!;
  let v8 = IV[0]!, v9 = IV[1]!, v10 = IV[2]!, v11 = IV[3]!;
  // The 64-bit counter t as two words (t < 2^53 here), and the final-block flag.
  let v12 = IV[4]! ^ t, v13 = IV[5]! ^ ((t / 0x100000000) | 0);
  let v14 = last ? ~IV[6]! : IV[6]!, v15 = IV[7]!;
  const s = SIGMA;
  for (let r = 0; r < 160; r += 16) {
    // Columns: G(v0, v4, v8, v12), G(v1, v5, v9, v13), G(v2, v6, v10, v14), G(v3, v7, v11, v15).
    v12 = rotr(v12 ^ (v0 = (v0 + v4 + m[s[r]!]!) | 0), 16);
    v4 = rotr(v4 ^ (v8 = (v8 + v12) | 0), 12);
    v12 = rotr(v12 ^ (v0 = (v0 + v4 + m[s[r + 1]!]!) | 0), 8);
    v4 = rotr(v4 ^ (v8 = (v8 + v12) | 0), 7);
    v13 = rotr(v13 ^ (v1 = (v1 + v5 + m[s[r + 2]!]!) | 0), 16);
    v5 = rotr(v5 ^ (v9 = (v9 + v13) | 0), 12);
    v13 = rotr(v13 ^ (v1 = (v1 + v5 + m[s[r + 3]!]!) | 0), 8);
    v5 = rotr(v5 ^ (v9 = (v9 + v13) | 0), 7);
    v14 = rotr(v14 ^ (v2 = (v2 + v6 + m[s[r + 4]!]!) | 0), 16);
    v6 = rotr(v6 ^ (v10 = (v10 + v14) | 0), 12);
    v14 = rotr(v14 ^ (v2 = (v2 + v6 + m[s[r + 5]!]!) | 0), 8);
    v6 = rotr(v6 ^ (v10 = (v10 + v14) | 0), 7);
    v15 = rotr(v15 ^ (v3 = (v3 + v7 + m[s[r + 6]!]!) | 0), 16);
    v7 = rotr(v7 ^ (v11 = (v11 + v15) | 0), 12);
    v15 = rotr(v15 ^ (v3 = (v3 + v7 + m[s[r + 7]!]!) | 0), 8);
    v7 = rotr(v7 ^ (v11 = (v11 + v15) | 0), 7);
    // Diagonals: G(v0, v5, v10, v15), G(v1, v6, v11, v12), G(v2, v7, v8, v13), G(v3, v4, v9, v14).
    v15 = rotr(v15 ^ (v0 = (v0 + v5 + m[s[r + 8]!]!) | 0), 16);
    v5 = rotr(v5 ^ (v10 = (v10 + v15) | 0), 12);
    v15 = rotr(v15 ^ (v0 = (v0 + v5 + m[s[r + 9]!]!) | 0), 8);
    v5 = rotr(v5 ^ (v10 = (v10 + v15) | 0), 7);
    v12 = rotr(v12 ^ (v1 = (v1 + v6 + m[s[r + 10]!]!) | 0), 16);
    v6 = rotr(v6 ^ (v11 = (v11 + v12) | 0), 12);
    v12 = rotr(v12 ^ (v1 = (v1 + v6 + m[s[r + 11]!]!) | 0), 8);
    v6 = rotr(v6 ^ (v11 = (v11 + v12) | 0), 7);
    v13 = rotr(v13 ^ (v2 = (v2 + v7 + m[s[r + 12]!]!) | 0), 16);
    v7 = rotr(v7 ^ (v8 = (v8 + v13) | 0), 12);
    v13 = rotr(v13 ^ (v2 = (v2 + v7 + m[s[r + 13]!]!) | 0), 8);
    v7 = rotr(v7 ^ (v8 = (v8 + v13) | 0), 7);
    v14 = rotr(v14 ^ (v3 = (v3 + v4 + m[s[r + 14]!]!) | 0), 16);
    v4 = rotr(v4 ^ (v9 = (v9 + v14) | 0), 12);
    v14 = rotr(v14 ^ (v3 = (v3 + v4 + m[s[r + 15]!]!) | 0), 8);
    v4 = rotr(v4 ^ (v9 = (v9 + v14) | 0), 7);
  }
  // Each word of `from` is read before the same word of `to` is written, so `to` may be `from`.
  to[0] = from[0]! ^ v0 ^ v8;
  to[1] = from[1]! ^ v1 ^ v9;
  to[2] = from[2]! ^ v2 ^ v10;
  to[3] = from[3]! ^ v3 ^ v11;
  to[4] = from[4]! ^ v4 ^ v12;
  to[5] = from[5]! ^ v5 ^ v13;
  to[6] = from[6]! ^ v6 ^ v14;
  to[7] = from[7]! ^ v7 ^ v15;
}

/**
 * The `n` bytes (1..64) of `bytes` at `off` as 16 little-endian words in `m`, zero-padded to a
 * block (RFC 7693 §3.3).
 */
function load(bytes: Uint8Array, off: number, n: number, m: Int32Array): void {
  m.fill(0);
  for (let i = 0; i < n; i++) m[i >> 2]! |= bytes[off + i]! << ((i & 3) << 3);
}

/**
 * Absorb `data` (at least one byte) into the state `from`, which has already absorbed `done`
 * bytes, ending with the final block; the state is left in `to` (which may be `from`).
 */
function absorbFinal(
  from: Int32Array,
  to: Int32Array,
  data: Uint8Array,
  done: number,
  m: Int32Array,
): void {
  const n = data.length;
  let h = from;
  let off = 0;
  for (; n - off > BLOCK; off += BLOCK) {
    load(data, off, BLOCK, m);
    compress(h, to, m, done + off + BLOCK, false);
    h = to;
  }
  load(data, off, n - off, m);
  compress(h, to, m, done + n, true);
}

/** The first `length` bytes of the state `h` (little-endian words) into `out` at `offset`. */
function store(h: Int32Array, out: Uint8Array, offset: number, length: number): void {
  for (let i = 0; i < length; i++) out[offset + i] = h[i >> 2]! >>> ((i & 3) << 3);
}

function checkOutLength(outLength: number): void {
  if (!Number.isInteger(outLength) || outLength < 1 || outLength > MAX_OUT) {
    throw new RangeError(`BLAKE2s output length must be 1..${MAX_OUT} bytes, not ${outLength}`);
  }
}

/** A key ready for keyed BLAKE2s: its key block already compressed. */
export class Blake2sKey {
  /** Digest length in bytes (1..32). */
  readonly outLength: number;
  /** The initial state (RFC 7693 §3.3): the IV with the parameter block's word 0 mixed in. */
  readonly #initial: Int32Array;
  /** The key block: the key zero-padded to 64 bytes, as message words. */
  readonly #keyBlock = new Int32Array(16);
  /** The state after the key block (t = 64, not final): where every MAC starts. */
  readonly #keyed: Int32Array;
  // Scratch, reused by every call (allocating a typed array costs ~0.7 µs in Deno).
  readonly #h = new Int32Array(8);
  readonly #m = new Int32Array(16);

  /**
   * @param key 1..32 bytes (hash a longer secret to 32 bytes first)
   * @param outLength MAC length in bytes, 1..32 (part of the parameter block: a shorter MAC is
   *   not a prefix of a longer one)
   */
  constructor(key: Uint8Array, outLength = 32) {
    checkOutLength(outLength);
    if (key.length < 1 || key.length > MAX_KEY) {
      throw new RangeError(`Blake2sKey key must be 1..${MAX_KEY} bytes, not ${key.length}`);
    }
    this.outLength = outLength;
    // Parameter block word 0: digest length, key length, fanout 1, depth 1 (RFC 7693 §2.5).
    this.#initial = IV.slice();
    this.#initial[0]! ^= 0x01010000 ^ (key.length << 8) ^ outLength;
    load(key, 0, key.length, this.#keyBlock);
    this.#keyed = new Int32Array(8);
    compress(this.#initial, this.#keyed, this.#keyBlock, BLOCK, false);
  }

  /**
   * The MAC of a message: `outLength` bytes, a fresh array.
   * @example
   * new Blake2sKey(key, 17).mac(message).length; // 17
   */
  mac(message: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.outLength);
    this.macInto(message, out, 0, this.outLength);
    return out;
  }

  /**
   * Write the first `length` bytes (0..outLength) of the MAC of `message` into `out` at
   * `offset`, leaving the rest of `out` alone. Allocates nothing.
   */
  macInto(message: Uint8Array, out: Uint8Array, offset: number, length: number): void {
    if (!(length >= 0 && length <= this.outLength)) {
      throw new RangeError(`MAC length must be 0..${this.outLength}, not ${length}`);
    }
    if (message.length === 0) {
      // The key block itself is then the final block: the saved state cannot be used.
      compress(this.#initial, this.#h, this.#keyBlock, BLOCK, true);
    } else {
      // A cookie's payload (≤ 64 bytes) is one final compression from the saved state.
      absorbFinal(this.#keyed, this.#h, message, BLOCK, this.#m);
    }
    store(this.#h, out, offset, length);
  }
}
