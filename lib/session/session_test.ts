import assert from "node:assert/strict";
import { blake2s } from "@noble/hashes/blake2.js";
import {
  COOKIE_VALUE_LENGTH,
  decodeRecord,
  encodeRecord,
  fromBase64Url,
  isAlive,
  mergeRecord,
  SessionSigner,
  toBase64Url,
} from "./session.ts";

Deno.test("toBase64Url() and fromBase64Url() round-trip every length to 40", () => {
  for (let n = 0; n <= 40; n++) {
    const b = crypto.getRandomValues(new Uint8Array(n));
    const s = toBase64Url(b);
    assert.match(s, /^[A-Za-z0-9_-]*$/);
    assert.equal(s.length, Math.ceil((n * 4) / 3));
    assert.deepEqual(fromBase64Url(s), b);
  }
  assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
});

Deno.test("fromBase64Url() rejects padding, other alphabets, bad lengths and stray bits", () => {
  for (const s of ["QQ==", "a+b/", "a b", "A", "AAAAA", "-_9", "QR", "é"]) {
    assert.equal(fromBase64Url(s), null, s);
  }
});

Deno.test("SessionSigner.mint() makes a 52-character value that open() accepts", () => {
  const s = new SessionSigner("a test key of some length");
  const now = 1_700_000_123_456;
  const { token, value } = s.mint(now);
  assert.equal(value.length, COOKIE_VALUE_LENGTH);
  assert.match(value, /^[A-Za-z0-9_-]{52}$/);
  assert.match(token.id, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(token.issuedMs, 1_700_000_124_000, "rounded up to the second");
  assert.equal(token.id, value.slice(0, 24), "the id is the value's first 24 characters");
  assert.deepEqual(s.open(value), token);
  assert.notEqual(s.mint(now).token.id, token.id);
});

Deno.test("SessionSigner.open() rejects every single-character change", () => {
  const s = new SessionSigner("another test key");
  const { value } = s.mint(Date.now());
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < value.length; i++) {
    const c = alphabet[(alphabet.indexOf(value[i]!) + 1) % 64]!;
    const bad = value.slice(0, i) + c + value.slice(i + 1);
    assert.equal(s.open(bad), null, `position ${i}`);
  }
});

Deno.test("SessionSigner.open() rejects another key's cookies and malformed values", () => {
  const a = new SessionSigner("key number one!!");
  const b = new SessionSigner("key number two!!");
  const { value } = a.mint(Date.now());
  assert.equal(b.open(value), null);
  for (
    const v of [
      "",
      "x",
      value.slice(1),
      value + "A",
      value.replace(/.$/, "="),
      value.slice(0, 50) + "==",
      value.slice(0, 20) + " " + value.slice(21),
      value.slice(0, 20) + "+" + value.slice(21),
      value.slice(0, 20) + "é" + value.slice(21),
      "A".repeat(52),
    ]
  ) {
    assert.equal(a.open(v), null, v);
  }
});

Deno.test("SessionSigner.mintInto() writes the base64url of a value open() accepts, and nothing else", () => {
  const s = new SessionSigner("a test key of some length");
  const out = new Uint8Array(60);
  for (let i = 0; i < 200; i++) {
    out.fill(0x2e);
    s.mintInto(1_700_000_123_456, out, 4);
    assert.deepEqual([...out.subarray(0, 4), ...out.subarray(56)], new Array(8).fill(0x2e));
    const value = new TextDecoder().decode(out.subarray(4, 56));
    const bytes = fromBase64Url(value);
    assert.ok(bytes !== null, value);
    assert.equal(toBase64Url(bytes), value, "the built-in encoder writes the same");
    assert.deepEqual(s.open(value), { id: value.slice(0, 24), issuedMs: 1_700_000_124_000 });
  }
});

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("SessionSigner.mint() tags a cookie with keyed BLAKE2s of its first 22 bytes", () => {
  const secret = "a test key of some length";
  const bytes = fromBase64Url(new SessionSigner(secret).mint(1_700_000_123_456).value)!;
  assert.equal(bytes.length, 39);
  // Key: BLAKE2s-256 of the SessionKey text. Digest length 17, in the parameter block, so the
  // tag is not the first 17 bytes of the 32-byte digest.
  const key = blake2s(text(secret), { dkLen: 32 });
  assert.deepEqual(bytes.subarray(22), blake2s(bytes.subarray(0, 22), { key, dkLen: 17 }));
  assert.notDeepEqual(
    bytes.subarray(22),
    blake2s(bytes.subarray(0, 22), { key, dkLen: 32 }).subarray(0, 17),
  );
});

Deno.test("SessionSigner.open() rejects a cookie tagged with HMAC-SHA256, as before BLAKE2s", async () => {
  // The pre-BLAKE2s format: the same 22 bytes, then HMAC-SHA256 under the SessionKey text, cut
  // to 17 bytes. No earlier release's cookies need honouring, so these are refused.
  const secret = "a key from before the upgrade";
  const bytes = new Uint8Array(39);
  crypto.getRandomValues(bytes.subarray(0, 18));
  new DataView(bytes.buffer).setUint32(18, 1_700_000_123);
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    text(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, bytes.subarray(0, 22)));
  bytes.set(mac.subarray(0, 17), 22);
  const s = new SessionSigner(secret);
  assert.equal(s.open(toBase64Url(bytes)), null);
  // The same payload with its BLAKE2s tag is accepted, so only the tag was refused.
  const key = blake2s(text(secret), { dkLen: 32 });
  bytes.set(blake2s(bytes.subarray(0, 22), { key, dkLen: 17 }), 22);
  assert.deepEqual(s.open(toBase64Url(bytes)), {
    id: toBase64Url(bytes.subarray(0, 18)),
    issuedMs: 1_700_000_123_000,
  });
});

Deno.test("mergeRecord() creates on first sight, then adds requests and keeps the latest client", () => {
  const u = { id: "x", createdMs: 100, lastSeenMs: 200, requests: 3, client: "1.2.3.4:5" };
  const r1 = mergeRecord(null, u);
  assert.deepEqual(r1, { createdMs: 100, lastSeenMs: 200, requests: 3, client: "1.2.3.4:5" });
  const r2 = mergeRecord(r1, { ...u, lastSeenMs: 300, requests: 2, client: "9.9.9.9:1" });
  assert.deepEqual(r2, { createdMs: 100, lastSeenMs: 300, requests: 5, client: "9.9.9.9:1" });
  const r3 = mergeRecord(r2, { ...u, createdMs: 150, lastSeenMs: 250, requests: 1, client: "o" });
  assert.deepEqual(r3, { createdMs: 100, lastSeenMs: 300, requests: 6, client: "9.9.9.9:1" });
});

Deno.test("isAlive() is a sliding expiry of ttlS seconds from the last request", () => {
  assert.ok(isAlive(1000, 1000 + 59_999, 60));
  assert.ok(!isAlive(1000, 1000 + 60_000, 60));
});

Deno.test("decodeRecord() reads what encodeRecord() wrote and nothing else", () => {
  const r = { createdMs: 1, lastSeenMs: 2, requests: 3, client: "[::1]:80" };
  assert.deepEqual(decodeRecord(encodeRecord(r)), r);
  for (
    const t of [
      "",
      "null",
      "[]",
      "{}",
      '{"c":1,"l":2,"n":-1,"a":"x"}',
      '{"c":1.5,"l":2,"n":1,"a":"x"}',
      '{"c":1,"l":2,"n":1,"a":5}',
      "{bad",
    ]
  ) {
    assert.equal(decodeRecord(t), null, t);
  }
});
