/**
 * Session ids, signed cookie values, the session record and the SessionStore interface.
 *
 * Cookie value (52 base64url characters, no padding):
 *
 * ```
 *   bytes 0..17   id       18 random bytes (crypto.getRandomValues, 144 bits)
 *   bytes 18..21  issued   seconds since the epoch, rounded up, big-endian uint32
 *   bytes 22..38  tag      keyed BLAKE2s (RFC 7693) of bytes 0..21, 17-byte digest
 * ```
 *
 * The issue time is rounded up to the second, not down: a session then never ends before
 * SessionTTL (at most a second after it). Rounded down, a cookie issued late in a second came
 * back as up to a second older than it was, and with a short TTL a client's very next request
 * could find its new session expired.
 *
 * 18 id bytes are exactly 24 base64 characters, so the session id (the store key) is the
 * cookie value's first 24 characters: no second encoding per request.
 *
 * The tag lets any instance holding the key trust a cookie without a store lookup (as nginx's
 * userid module does), and the issue time tells "first time this cookie comes back" (no record
 * yet, still within the TTL) from "expired" without one either.
 *
 * Why BLAKE2s: every request from a client that never returns its cookie signs a new one, and
 * keyed BLAKE2s with its key block precomputed (blake2s.ts) is one compression per cookie, where
 * HMAC-SHA256 takes two SHA-256 ones. The BLAKE2s key is BLAKE2s-256 of the SessionKey text
 * (once per signer, with `@noble/hashes`), since a SessionKey may be any length of at least 16
 * characters and a BLAKE2s key is at most 32 bytes. Note the digest length (17) is part of the
 * BLAKE2s parameter block, so the tag is not a prefix of a 32-byte digest.
 * @module
 */

import { blake2s } from "@noble/hashes/blake2.js";
import { Blake2sKey } from "./blake2s.ts";

const ID_BYTES = 18;
const ID_CHARS = 24;
const PAYLOAD_BYTES = ID_BYTES + 4;
const TAG_BYTES = 17;
/** Session ids drawn from one getRandomValues call (an op call costs as much as the copy). */
const RANDOM_BATCH = 128;
/** Length of a signed cookie value in characters. */
export const COOKIE_VALUE_LENGTH = 52;

/** A cookie's issue time: seconds since the epoch, rounded up (see the module comment). */
function issueSeconds(nowMs: number): number {
  return Math.ceil(nowMs / 1000) >>> 0;
}

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/**
 * RFC 4648 §5 base64url without padding.
 * @example
 * toBase64Url(new Uint8Array([0xfb, 0xff])); // "-_8"
 */
export function toBase64Url(b: Uint8Array): string {
  return b.toBase64(BASE64URL);
}

/**
 * Strict base64url decoding (no padding, no whitespace, canonical trailing bits), or null.
 * @example
 * fromBase64Url("-_8"); // Uint8Array [0xfb, 0xff]
 */
export function fromBase64Url(s: string): Uint8Array | null {
  let b: Uint8Array;
  try {
    b = Uint8Array.fromBase64(s, { alphabet: "base64url" });
  } catch {
    return null;
  }
  // The built-in skips whitespace, takes padding and ignores stray bits: only canonical text
  // comes back unchanged.
  return toBase64Url(b) === s ? b : null;
}

const B64_CODES = Uint8Array.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  (c) => c.charCodeAt(0),
);

/**
 * Write the base64url ASCII of `b` (a whole number of 3-byte groups) into `out` at `at`.
 * Hand-written because mintInto() writes a value per cookieless request: ~40-70 ns, against
 * ~270-380 ns for the built-in toBase64() plus copying its string into the bytes.
 */
function encodeBase64Url(b: Uint8Array, out: Uint8Array, at: number): void {
  let o = at;
  for (let i = 0; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = B64_CODES[(n >> 6) & 63]!;
    out[o++] = B64_CODES[n & 63]!;
  }
}

/** What a valid cookie says. */
export interface SessionToken {
  /** The session id (24 base64url characters), the store key. */
  readonly id: string;
  /** When the cookie was issued, epoch ms (whole seconds). */
  readonly issuedMs: number;
}

/** Issues and checks signed session cookie values. */
export class SessionSigner {
  readonly #key: Blake2sKey;
  // Scratch buffers, reused by every call (one signer per worker, calls are synchronous).
  readonly #buf = new Uint8Array(PAYLOAD_BYTES + TAG_BYTES);
  readonly #payload = this.#buf.subarray(0, PAYLOAD_BYTES);
  /** Random bytes fetched RANDOM_BATCH ids at a time: one getRandomValues op, not one per id. */
  readonly #random = new Uint8Array(ID_BYTES * RANDOM_BATCH);
  #randomAt = this.#random.length;
  readonly #tag = new Uint8Array(TAG_BYTES);

  /** @param secret the SessionKey (any length; hashed to the 32-byte BLAKE2s key) */
  constructor(secret: string) {
    const bytes = new TextEncoder().encode(secret);
    this.#key = new Blake2sKey(blake2s(bytes, { dkLen: 32 }), TAG_BYTES);
  }

  /**
   * A new session: random id, issue time, signed cookie value.
   * @param nowMs the current time
   */
  mint(nowMs: number): { readonly token: SessionToken; readonly value: string } {
    const issuedS = this.#sign(nowMs);
    const value = toBase64Url(this.#buf);
    return { token: { id: value.slice(0, ID_CHARS), issuedMs: issuedS * 1000 }, value };
  }

  /**
   * Like mint(), writing the cookie value's COOKIE_VALUE_LENGTH ASCII bytes into `out` at `at`
   * (no string is made: the value goes straight into a response head).
   */
  mintInto(nowMs: number, out: Uint8Array, at: number): void {
    this.#sign(nowMs);
    encodeBase64Url(this.#buf, out, at);
  }

  /** Fill #buf with a new random id, the issue time and the tag; returns the issue time (s). */
  #sign(nowMs: number): number {
    const buf = this.#buf;
    if (this.#randomAt === this.#random.length) {
      crypto.getRandomValues(this.#random);
      this.#randomAt = 0;
    }
    const r = this.#random;
    const at = this.#randomAt;
    for (let i = 0; i < ID_BYTES; i++) {
      buf[i] = r[at + i]!;
      r[at + i] = 0; // used once: nothing of an id stays behind in the pool
    }
    this.#randomAt = at + ID_BYTES;
    const issuedS = issueSeconds(nowMs);
    putUint32(buf, ID_BYTES, issuedS);
    this.#key.macInto(this.#payload, buf, PAYLOAD_BYTES, TAG_BYTES);
    return issuedS;
  }

  /** The token of a cookie value this key signed, or null (malformed, forged or tampered). */
  open(value: string): SessionToken | null {
    const buf = this.#buf;
    if (value.length !== COOKIE_VALUE_LENGTH || !decodeCookie(value, buf)) return null;
    this.#key.macInto(this.#payload, this.#tag, 0, TAG_BYTES);
    if (!this.#tagMatches()) return null;
    const t = ID_BYTES;
    const issuedS = ((buf[t]! << 24) | (buf[t + 1]! << 16) | (buf[t + 2]! << 8) | buf[t + 3]!) >>>
      0;
    return { id: value.slice(0, ID_CHARS), issuedMs: issuedS * 1000 };
  }

  /** Whether #tag equals the tag in #buf, compared in constant time. */
  #tagMatches(): boolean {
    const want = this.#tag;
    const buf = this.#buf;
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= want[i]! ^ buf[PAYLOAD_BYTES + i]!;
    return diff === 0;
  }
}

/**
 * Decode a 52-character value into its 39 bytes; false unless all 52 are base64url. (Whitespace,
 * which the built-in skips, or padding leaves fewer than 39 bytes. A character outside the
 * alphabet throws, ~4 µs, only for a crafted value: a valid value decodes in ~130 ns, as fast as
 * the hand-written decoder this replaced.)
 */
function decodeCookie(value: string, buf: Uint8Array): boolean {
  try {
    const r = buf.setFromBase64(value, { alphabet: "base64url" });
    return r.read === COOKIE_VALUE_LENGTH && r.written === buf.length;
  } catch {
    return false;
  }
}

function putUint32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** A session as the store keeps it. */
export interface SessionRecord {
  /** When the session began (the cookie's issue time), epoch ms. */
  readonly createdMs: number;
  /** Last request seen by any instance, epoch ms; the sliding expiry runs from here. */
  readonly lastSeenMs: number;
  /** Requests made with this session. */
  readonly requests: number;
  /** Client address of the last request ("ip:port"). */
  readonly client: string;
}

/** One batched change to a session: requests are a delta, the rest replace. */
export interface SessionUpdate {
  readonly id: string;
  readonly createdMs: number;
  readonly lastSeenMs: number;
  readonly requests: number;
  readonly client: string;
}

/**
 * Apply a batched update to what the store holds (null: no record yet, the first time the
 * client presented its cookie).
 */
export function mergeRecord(old: SessionRecord | null, u: SessionUpdate): SessionRecord {
  if (old === null) {
    return {
      createdMs: u.createdMs,
      lastSeenMs: u.lastSeenMs,
      requests: u.requests,
      client: u.client,
    };
  }
  const newer = u.lastSeenMs >= old.lastSeenMs;
  return {
    createdMs: Math.min(old.createdMs, u.createdMs),
    lastSeenMs: Math.max(old.lastSeenMs, u.lastSeenMs),
    requests: old.requests + u.requests,
    client: newer ? u.client : old.client,
  };
}

/** Whether a session is still alive under a sliding expiry of `ttlS` seconds. */
export function isAlive(lastSeenMs: number, nowMs: number, ttlS: number): boolean {
  return nowMs - lastSeenMs < ttlS * 1000;
}

/** The session part of a store (memcached or in-process). Implementations may throw. */
export interface SessionStore {
  /** The record of a session id, or null when unknown or expired. */
  getSession(id: string): Promise<SessionRecord | null>;
  /** Apply a batch of updates; each record then expires `ttlS` after its last request. */
  putSessions(updates: readonly SessionUpdate[], ttlS: number): Promise<void>;
}

/** What a bounded lookup found. */
export type Lookup =
  | { readonly kind: "found"; readonly record: SessionRecord }
  | { readonly kind: "missing" }
  /** The shared store did not answer in time or is down: the caller decides (fail open). */
  | { readonly kind: "unavailable" };

/** The session store as the request path sees it: bounded in time and never throwing. */
export interface SessionBackend {
  lookup(id: string): Promise<Lookup>;
  putSessions(updates: readonly SessionUpdate[], ttlS: number): Promise<void>;
}

/** Encode a record for a text store (compact JSON). */
export function encodeRecord(r: SessionRecord): string {
  return JSON.stringify({ c: r.createdMs, l: r.lastSeenMs, n: r.requests, a: r.client });
}

/** Decode what encodeRecord wrote, or null for anything else. */
export function decodeRecord(text: string): SessionRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const { c, l, n, a } = o;
  if (!isCount(c) || !isCount(l) || !isCount(n) || typeof a !== "string") return null;
  return { createdMs: c, lastSeenMs: l, requests: n, client: a };
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}
