import assert from "node:assert/strict";
import {
  decodeBase64,
  formatPasswordHash,
  HASH_BYTES,
  hashPassword,
  parsePasswordFile,
  parsePasswordHash,
  passwordFromInput,
  passwordLine,
  PBKDF2_DEFAULT_ITERATIONS,
  PBKDF2_MIN_ITERATIONS,
  timingSafeEqual,
  verifyPassword,
} from "./password_file.ts";

const FAST = { iterations: PBKDF2_MIN_ITERATIONS };
const SALT = new Uint8Array(16).fill(7);
const KEY = new Uint8Array(HASH_BYTES).toBase64();

Deno.test("hashPassword() matches a PBKDF2-HMAC-SHA-256 reference vector", async () => {
  // RFC 7914 §11: PBKDF2-HMAC-SHA-256 (P="passwd", S="salt", c=1); the first 32 bytes.
  const salt = new TextEncoder().encode("salt");
  const h = await hashPassword("passwd", { salt, iterations: 1 });
  const hex = Array.from(h.hash, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  assert.equal(h.iterations, 1);
  assert.deepEqual(h.salt, salt);
});

Deno.test("verifyPassword() accepts the password and rejects others", async () => {
  const h = await hashPassword("s3cret ünïcode", FAST);
  assert.equal(await verifyPassword("s3cret ünïcode", h), true);
  assert.equal(await verifyPassword("s3cret unicode", h), false);
  assert.equal(await verifyPassword("", h), false);
});

Deno.test("hashPassword() uses a fresh 16-byte salt and 600000 iterations by default", async () => {
  const a = await hashPassword("x", FAST);
  const b = await hashPassword("x", FAST);
  assert.equal(a.salt.length, 16);
  assert.notDeepEqual(a.salt, b.salt);
  assert.notDeepEqual(a.hash, b.hash);
  assert.equal(PBKDF2_DEFAULT_ITERATIONS, 600_000);
});

Deno.test("formatPasswordHash() and parsePasswordHash() round-trip", () => {
  const h = { iterations: 210000, salt: SALT, hash: new Uint8Array(HASH_BYTES).fill(1) };
  const text = formatPasswordHash(h);
  assert.match(text, /^pbkdf2-sha256\$210000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.deepEqual(parsePasswordHash(text), h);
});

Deno.test("parsePasswordHash() refuses other schemes, weak or huge counts, bad base64", () => {
  const s = SALT.toBase64();
  const bad = [
    `bcrypt$210000$${s}$${KEY}`,
    `pbkdf2-sha256$209999$${s}$${KEY}`,
    `pbkdf2-sha256$10000001$${s}$${KEY}`,
    `pbkdf2-sha256$0210000$${s}$${KEY}`,
    `pbkdf2-sha256$21e4$${s}$${KEY}`,
    `pbkdf2-sha256$210000$${s}$${KEY.slice(0, -1)}`,
    `pbkdf2-sha256$210000$$${KEY}`,
    `pbkdf2-sha256$210000$${s}$${new Uint8Array(16).toBase64()}`,
    `pbkdf2-sha256$210000$${s}$${KEY}$`,
    "plaintext",
  ];
  for (const b of bad) assert.equal(parsePasswordHash(b), null, b);
});

Deno.test("parsePasswordFile() reads users, skips comments and blank lines, names bad lines", async () => {
  const line = await passwordLine("alice", "pw", FAST);
  const users = parsePasswordFile(`# writers\n\n${line}\r\n  \nbob:${line.slice(6)}\n`);
  assert.deepEqual([...users.keys()], ["alice", "bob"]);
  assert.throws(
    () => parsePasswordFile(`${line}\n${line}\n`),
    /line 2: user "alice" is listed twice/,
  );
  assert.throws(() => parsePasswordFile(`# x\nalice:secret\n`), SyntaxError);
  assert.throws(() => parsePasswordFile(`# x\nalice:secret\n`), /line 2/);
  assert.throws(() => parsePasswordFile(`:${line.slice(6)}\n`), /line 1/);
  assert.throws(() => parsePasswordFile(`no colon\n`), /line 1/);
});

Deno.test("passwordLine() makes a line for valid user names only", async () => {
  assert.match(await passwordLine("carol", "x", FAST), /^carol:pbkdf2-sha256\$210000\$/);
  await assert.rejects(passwordLine("a:b", "x", FAST), TypeError);
  await assert.rejects(passwordLine("a b", "x", FAST), TypeError);
});

Deno.test("passwordFromInput() strips one newline and refuses empty or non-UTF-8 input", () => {
  const enc = new TextEncoder();
  assert.equal(passwordFromInput(enc.encode("pw\n")), "pw");
  assert.equal(passwordFromInput(enc.encode("pw\r\n")), "pw");
  assert.equal(passwordFromInput(enc.encode(" pw \n\n")), " pw \n");
  assert.throws(() => passwordFromInput(enc.encode("\n")), TypeError);
  assert.throws(() => passwordFromInput(new Uint8Array([0xff])), TypeError);
});

Deno.test("timingSafeEqual() and decodeBase64() behave", () => {
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 0])), false);
  assert.deepEqual(decodeBase64("YWI="), new Uint8Array([97, 98]));
  for (const bad of ["YWI", "YW I=", "Y===", "", "YWI=YWI="]) {
    assert.equal(decodeBase64(bad), null, bad);
  }
});
