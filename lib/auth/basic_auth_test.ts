import assert from "node:assert/strict";
import {
  BasicAuthenticator,
  parseBasicCredentials,
  unavailableAuthenticator,
} from "./basic_auth.ts";
import { hashPassword, type PasswordHash, PBKDF2_MIN_ITERATIONS } from "./password_file.ts";
import { PasswordGate } from "./password_gate.ts";

function basic(userPass: string): string {
  const bytes = new TextEncoder().encode(userPass);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

Deno.test("parseBasicCredentials() decodes RFC 7617 §2 examples", () => {
  assert.deepEqual(parseBasicCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), {
    user: "Aladdin",
    password: "open sesame",
  });
  // RFC 7617 §2.1: "test" / "123£" in UTF-8
  assert.deepEqual(parseBasicCredentials("Basic dGVzdDoxMjPCow=="), {
    user: "test",
    password: "123£",
  });
  assert.deepEqual(parseBasicCredentials("basic  YTpiOmM="), { user: "a", password: "b:c" });
  assert.deepEqual(parseBasicCredentials("Basic Ojo="), { user: "", password: ":" });
});

Deno.test("parseBasicCredentials() says missing for no field or another scheme, null when malformed", () => {
  assert.equal(parseBasicCredentials(undefined), "missing");
  assert.equal(parseBasicCredentials("Bearer abc"), "missing");
  assert.equal(parseBasicCredentials("Basicx YTpi"), "missing");
  const bad = [
    "Basic",
    "Basic ",
    "Basic YTpi!",
    "Basic YTp", // no padding
    "Basic YWJj", // "abc": no colon
    "Basic " + btoa("a:\x01"), // control character
    "Basic " + btoa("\xff:x"), // not UTF-8
    "Basic YTpi YTpi",
    "Basic YTpi\xa0", // NBSP is not whitespace in HTTP (RFC 9110 §5.6.3)
    "Basic \xa0YTpi",
  ];
  for (const b of bad) assert.equal(parseBasicCredentials(b), null, JSON.stringify(b));
  assert.equal(parseBasicCredentials("\xa0Basic YTpi"), "missing");
  assert.equal(parseBasicCredentials("Basic\tYTpi"), "missing");
  assert.equal(parseBasicCredentials("Basic\xa0 YTpi"), "missing");
});

Deno.test("BasicAuthenticator.check() accepts good credentials and caches the success", async () => {
  const real = await hashPassword("secret", { iterations: PBKDF2_MIN_ITERATIONS });
  let checks = 0;
  const counting = async (pw: string, h: PasswordHash) => {
    checks++;
    const { verifyPassword } = await import("./password_file.ts");
    return verifyPassword(pw, h);
  };
  const auth = new BasicAuthenticator(new Map([["alice", real]]), { verify: counting });
  assert.deepEqual(await auth.check(basic("alice:secret")), { kind: "ok", user: "alice" });
  assert.deepEqual(await auth.check(basic("alice:secret")), { kind: "ok", user: "alice" });
  assert.equal(checks, 1, "the second request costs no PBKDF2");
  const wrong = await auth.check(basic("alice:Secret"));
  assert.equal(wrong.kind, "invalid");
  assert.equal(checks, 2, "failures are checked every time");
});

Deno.test("BasicAuthenticator.check() spends a full check on unknown users and names no password", async () => {
  let checks = 0;
  const verify = (_pw: string, _h: PasswordHash) => {
    checks++;
    return Promise.resolve(true); // even a "matching" dummy must not let an unknown user in
  };
  const auth = new BasicAuthenticator(new Map(), { verify });
  const r = await auth.check(basic("mallory:pw"));
  assert.deepEqual(r, { kind: "invalid", reason: 'user "mallory": unknown user' });
  assert.equal(checks, 1);
  assert.deepEqual(await auth.check(undefined), { kind: "missing" });
  assert.equal((await auth.check("Basic !!")).kind, "invalid");
});

Deno.test("BasicAuthenticator keeps at most cacheEntries successes", async () => {
  let checks = 0;
  const verify = () => (checks++, Promise.resolve(true));
  const h: PasswordHash = { iterations: 1, salt: new Uint8Array(16), hash: new Uint8Array(32) };
  const auth = new BasicAuthenticator(new Map([["a", h], ["b", h]]), { verify, cacheEntries: 1 });
  await auth.check(basic("a:1"));
  await auth.check(basic("b:1"));
  await auth.check(basic("a:1"));
  assert.equal(checks, 3, "a was evicted by b");
  await auth.check(basic("a:1"));
  assert.equal(checks, 3);
});

Deno.test("BasicAuthenticator with a PasswordGate: unknown users and wrong passwords meet the same limits", async () => {
  const h = await hashPassword("secret", { iterations: PBKDF2_MIN_ITERATIONS });
  let checks = 0;
  const verify = async (pw: string, hash: PasswordHash) => {
    checks++;
    const { verifyPassword } = await import("./password_file.ts");
    return verifyPassword(pw, hash);
  };
  const now = 5_000_000;
  const gate = new PasswordGate({
    attemptsPerSecond: 2,
    failureMemoryMs: 60_000,
    maxChecks: 8,
    now: () => now,
  });
  const auth = new BasicAuthenticator(new Map([["alice", h]]), { verify, gate });
  // Two hashed failures per second per client, known user or not; then 429 without hashing.
  assert.equal((await auth.check(basic("alice:x1"), "10.0.0.1")).kind, "invalid");
  assert.equal((await auth.check(basic("nobody:x2"), "10.0.0.1")).kind, "invalid");
  for (const cred of ["alice:x3", "nobody:x4"]) {
    const r = await auth.check(basic(cred), "10.0.0.1");
    assert.equal(r.kind, "throttled", cred);
    assert.equal(r.kind === "throttled" && r.retryAfterS, 1);
  }
  assert.equal(checks, 2);
  // The same wrong credentials again: refused without hashing, from any client.
  const again = await auth.check(basic("nobody:x2"), "10.0.0.2");
  assert.deepEqual(again, {
    kind: "invalid",
    reason: 'user "nobody": the same wrong credentials again',
  });
  assert.equal(checks, 2);
  // Another client is not held back, and a success is cached and given back.
  assert.deepEqual(await auth.check(basic("alice:secret"), "10.0.0.2"), {
    kind: "ok",
    user: "alice",
  });
  assert.equal(checks, 3);
  assert.equal((await auth.check(basic("alice:secret"), "10.0.0.1")).kind, "ok", "cached");
});

Deno.test("unavailableAuthenticator() reports every check as unavailable", async () => {
  assert.deepEqual(await unavailableAuthenticator("gone").check(basic("a:b")), {
    kind: "unavailable",
    reason: "gone",
  });
});

Deno.test("BasicAuthenticator: parallel requests with the same credentials share one check and no allowance", async () => {
  const h = await hashPassword("secret", { iterations: PBKDF2_MIN_ITERATIONS });
  let checks = 0;
  const verify = async (pw: string, hash: PasswordHash) => {
    checks++;
    const { verifyPassword } = await import("./password_file.ts");
    return verifyPassword(pw, hash);
  };
  const gate = new PasswordGate({
    attemptsPerSecond: 1,
    failureMemoryMs: 60_000,
    maxChecks: 1,
    now: () => 0,
  });
  const auth = new BasicAuthenticator(new Map([["alice", h]]), { verify, gate });
  // A client's twelve parallel uploads: one hash, every one accepted (no 429, no 503).
  const all = await Promise.all(
    Array.from({ length: 12 }, () => auth.check(basic("alice:secret"), "10.0.0.1")),
  );
  assert.deepEqual(new Set(all.map((r) => r.kind)), new Set(["ok"]));
  assert.equal(checks, 1);
  // Twelve parallel wrong guesses with the same credentials: one hash too.
  const wrong = await Promise.all(
    Array.from({ length: 12 }, () => auth.check(basic("alice:guess"), "10.0.0.9")),
  );
  assert.deepEqual(new Set(wrong.map((r) => r.kind)), new Set(["invalid"]));
  assert.equal(checks, 2);
});
