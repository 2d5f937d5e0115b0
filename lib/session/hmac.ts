/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256), synchronous and allocation-light.
 *
 * Now used only to accept session cookies minted before the switch to keyed BLAKE2s
 * (`blake2s.ts`, one compression per cookie instead of two): `SessionSigner.open()` checks a
 * tag with this when the BLAKE2s check fails, so sessions issued before an upgrade survive it.
 * New cookies are never signed with it.
 *
 * Why not WebCrypto: `crypto.subtle.sign` is an async op costing 17-27 µs per call in Deno 2.9
 * (measured), a quarter of a whole static response, and cookie checks run synchronously on the
 * request path. Here the key's inner and outer pad blocks are compressed once (the equivalent
 * of caching the CryptoKey), so one HMAC of a short message is two SHA-256 compressions
 * (~0.55 µs). The tests check it against WebCrypto.
 * @module
 */

import { IV } from "./blake2s.ts";

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

// FIPS 180-4 §5.3.3: initial hash value (the same words are BLAKE2s's IV).
const H0 = IV;

const BLOCK = 64;

// FIPS 180-4 §4.1.2 functions. Small enough that the JIT inlines them.
const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
const S0 = (x: number) => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
const S1 = (x: number) => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
const s0 = (x: number) => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
const s1 = (x: number) => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10);
const maj = (x: number, y: number, z: number) => (x & y) ^ (x & z) ^ (y & z);

/**
 * Compress one block of 16 big-endian words `m` into the state `h` (FIPS 180-4 §6.2.2).
 *
 * Written for the JIT (measured in Deno 2.9, one compression: a plain loop over a 64-word
 * schedule array 0.31 µs, this 0.27 µs): the schedule is a window of 16 locals updated in place
 * before each group of 16 rounds (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], so W[t]
 * replaces W[t-16] in the same slot), and the rounds of a group are written out with the
 * working variables renamed instead of shifted, so each round is three assignments.
 */
function compress(h: Int32Array, m: Int32Array): void {
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  let w0 = m[0]!;
  let w1 = m[1]!;
  let w2 = m[2]!;
  let w3 = m[3]!;
  let w4 = m[4]!;
  let w5 = m[5]!;
  let w6 = m[6]!;
  let w7 = m[7]!;
  let w8 = m[8]!;
  let w9 = m[9]!;
  let w10 = m[10]!;
  let w11 = m[11]!;
  let w12 = m[12]!;
  let w13 = m[13]!;
  let w14 = m[14]!;
  let w15 = m[15]!;
  for (let i = 0; i < 64; i += 16) {
    if (i > 0) {
      w0 = (w0 + s0(w1) + w9 + s1(w14)) | 0;
      w1 = (w1 + s0(w2) + w10 + s1(w15)) | 0;
      w2 = (w2 + s0(w3) + w11 + s1(w0)) | 0;
      w3 = (w3 + s0(w4) + w12 + s1(w1)) | 0;
      w4 = (w4 + s0(w5) + w13 + s1(w2)) | 0;
      w5 = (w5 + s0(w6) + w14 + s1(w3)) | 0;
      w6 = (w6 + s0(w7) + w15 + s1(w4)) | 0;
      w7 = (w7 + s0(w8) + w0 + s1(w5)) | 0;
      w8 = (w8 + s0(w9) + w1 + s1(w6)) | 0;
      w9 = (w9 + s0(w10) + w2 + s1(w7)) | 0;
      w10 = (w10 + s0(w11) + w3 + s1(w8)) | 0;
      w11 = (w11 + s0(w12) + w4 + s1(w9)) | 0;
      w12 = (w12 + s0(w13) + w5 + s1(w10)) | 0;
      w13 = (w13 + s0(w14) + w6 + s1(w11)) | 0;
      w14 = (w14 + s0(w15) + w7 + s1(w12)) | 0;
      w15 = (w15 + s0(w0) + w8 + s1(w13)) | 0;
    }
    k = (k + S1(e) + ((e & f) ^ (~e & g)) + K[i + 0]! + w0) | 0;
    d = (d + k) | 0;
    k = (k + S0(a) + maj(a, b, c)) | 0;
    g = (g + S1(d) + ((d & e) ^ (~d & f)) + K[i + 1]! + w1) | 0;
    c = (c + g) | 0;
    g = (g + S0(k) + maj(k, a, b)) | 0;
    f = (f + S1(c) + ((c & d) ^ (~c & e)) + K[i + 2]! + w2) | 0;
    b = (b + f) | 0;
    f = (f + S0(g) + maj(g, k, a)) | 0;
    e = (e + S1(b) + ((b & c) ^ (~b & d)) + K[i + 3]! + w3) | 0;
    a = (a + e) | 0;
    e = (e + S0(f) + maj(f, g, k)) | 0;
    d = (d + S1(a) + ((a & b) ^ (~a & c)) + K[i + 4]! + w4) | 0;
    k = (k + d) | 0;
    d = (d + S0(e) + maj(e, f, g)) | 0;
    c = (c + S1(k) + ((k & a) ^ (~k & b)) + K[i + 5]! + w5) | 0;
    g = (g + c) | 0;
    c = (c + S0(d) + maj(d, e, f)) | 0;
    b = (b + S1(g) + ((g & k) ^ (~g & a)) + K[i + 6]! + w6) | 0;
    f = (f + b) | 0;
    b = (b + S0(c) + maj(c, d, e)) | 0;
    a = (a + S1(f) + ((f & g) ^ (~f & k)) + K[i + 7]! + w7) | 0;
    e = (e + a) | 0;
    a = (a + S0(b) + maj(b, c, d)) | 0;
    k = (k + S1(e) + ((e & f) ^ (~e & g)) + K[i + 8]! + w8) | 0;
    d = (d + k) | 0;
    k = (k + S0(a) + maj(a, b, c)) | 0;
    g = (g + S1(d) + ((d & e) ^ (~d & f)) + K[i + 9]! + w9) | 0;
    c = (c + g) | 0;
    g = (g + S0(k) + maj(k, a, b)) | 0;
    f = (f + S1(c) + ((c & d) ^ (~c & e)) + K[i + 10]! + w10) | 0;
    b = (b + f) | 0;
    f = (f + S0(g) + maj(g, k, a)) | 0;
    e = (e + S1(b) + ((b & c) ^ (~b & d)) + K[i + 11]! + w11) | 0;
    a = (a + e) | 0;
    e = (e + S0(f) + maj(f, g, k)) | 0;
    d = (d + S1(a) + ((a & b) ^ (~a & c)) + K[i + 12]! + w12) | 0;
    k = (k + d) | 0;
    d = (d + S0(e) + maj(e, f, g)) | 0;
    c = (c + S1(k) + ((k & a) ^ (~k & b)) + K[i + 13]! + w13) | 0;
    g = (g + c) | 0;
    c = (c + S0(d) + maj(d, e, f)) | 0;
    b = (b + S1(g) + ((g & k) ^ (~g & a)) + K[i + 14]! + w14) | 0;
    f = (f + b) | 0;
    b = (b + S0(c) + maj(c, d, e)) | 0;
    a = (a + S1(f) + ((f & g) ^ (~f & k)) + K[i + 15]! + w15) | 0;
    e = (e + a) | 0;
    a = (a + S0(b) + maj(b, c, d)) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + k) | 0;
}

/** The 16 words of the 64 bytes of `bytes` at `off` (big-endian), into `m`. */
function wordsOf(bytes: Uint8Array, off: number, m: Int32Array): Int32Array {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    m[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  return m;
}

const words = new Int32Array(16);

/**
 * Finish a hash whose state `h` has absorbed `done` bytes, with `tail` still to absorb; the
 * digest is written to `out` (32 bytes).
 */
function finish(h: Int32Array, done: number, tail: Uint8Array, out: Uint8Array): Uint8Array {
  const full = tail.length - (tail.length % BLOCK);
  for (let off = 0; off < full; off += BLOCK) compress(h, wordsOf(tail, off, words));
  const rest = tail.length - full;
  const last = new Uint8Array(rest < 56 ? BLOCK : 2 * BLOCK);
  last.set(tail.subarray(full));
  last[rest] = 0x80;
  const bits = (done + tail.length) * 8; // messages here are far below 2^53 bits
  putWord(last, last.length - 8, Math.floor(bits / 0x100000000));
  putWord(last, last.length - 4, bits >>> 0);
  for (let off = 0; off < last.length; off += BLOCK) compress(h, wordsOf(last, off, words));
  for (let i = 0; i < 8; i++) putWord(out, i * 4, h[i]!);
  return out;
}

/** Longest message that fits one block with its padding (FIPS 180-4 §5.1.1). */
const MAX_ONE_BLOCK = BLOCK - 9;

function putWord(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

/**
 * SHA-256 of a message.
 * @example
 * sha256(new TextEncoder().encode("abc")); // ba7816bf...f20015ad
 */
export function sha256(data: Uint8Array): Uint8Array {
  return finish(H0.slice(), 0, data, new Uint8Array(32));
}

/** A key ready for HMAC-SHA256: both pad blocks already compressed. */
export class HmacKey {
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;
  readonly #state = new Int32Array(8);
  /** The message block: the words of a message of up to MAX_ONE_BLOCK bytes, padded. */
  readonly #m = new Int32Array(16);
  /**
   * The outer block: the inner digest (words 0-7), then its fixed padding: 0x80, zeros and
   * the bit length of the outer input, the key block and the 32-byte digest.
   */
  readonly #o = Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0x80000000 | 0, 0, 0, 0, 0, 0, 0, 8 * 96);
  readonly #mid = new Uint8Array(32);
  readonly #tag = new Uint8Array(32);

  /** @param key raw key bytes (hashed first when longer than a block, RFC 2104 §2) */
  constructor(key: Uint8Array) {
    const k = new Uint8Array(BLOCK);
    k.set(key.length > BLOCK ? sha256(key) : key);
    this.#inner = H0.slice();
    compress(this.#inner, wordsOf(k.map((b) => b ^ 0x36), 0, words));
    this.#outer = H0.slice();
    compress(this.#outer, wordsOf(k.map((b) => b ^ 0x5c), 0, words));
  }

  /**
   * HMAC-SHA256 of a message: 32 bytes.
   * @example
   * new HmacKey(key).sign(message).length; // 32
   */
  sign(message: Uint8Array): Uint8Array {
    return this.#run(message).slice();
  }

  /**
   * Write the first `length` bytes of the HMAC of `message` into `out` at `offset`, without
   * allocating (a new typed array costs ~0.7 µs in Deno, as much as an HMAC).
   */
  signInto(message: Uint8Array, out: Uint8Array, offset: number, length: number): void {
    const tag = this.#run(message);
    for (let i = 0; i < length; i++) out[offset + i] = tag[i]!;
  }

  /** The HMAC in a scratch buffer that the next call overwrites. */
  #run(message: Uint8Array): Uint8Array {
    const h = this.#state;
    h.set(this.#inner);
    const o = this.#o;
    if (message.length <= MAX_ONE_BLOCK) {
      // The common case (a cookie payload): one padded block, made as words directly.
      const m = this.#m;
      const n = message.length;
      for (let i = 0; i < 16; i++) m[i] = 0;
      for (let i = 0; i < n; i++) m[i >> 2]! |= message[i]! << (24 - 8 * (i & 3));
      m[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
      m[15] = (BLOCK + n) * 8;
      compress(h, m);
      for (let i = 0; i < 8; i++) o[i] = h[i]!;
    } else {
      finish(h, BLOCK, message, this.#mid);
      for (let i = 0; i < 8; i++) o[i] = h[i]!;
    }
    h.set(this.#outer);
    compress(h, o);
    const tag = this.#tag;
    for (let i = 0; i < 8; i++) putWord(tag, i * 4, h[i]!);
    return tag;
  }

  /** Whether `tag` is the HMAC of `message`, compared in constant time. */
  verify(message: Uint8Array, tag: Uint8Array): boolean {
    const want = this.#run(message);
    if (tag.length !== want.length) return false;
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff |= want[i]! ^ tag[i]!;
    return diff === 0;
  }
}
