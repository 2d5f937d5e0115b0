import assert from "node:assert/strict";
import { ACME_CHALLENGE_PREFIX, challengeKey, challengeToken, isToken } from "./challenge_path.ts";

const T = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

Deno.test("challengeToken() finds a base64url token under /.well-known/acme-challenge/ only", () => {
  assert.equal(ACME_CHALLENGE_PREFIX, "/.well-known/acme-challenge/");
  assert.equal(challengeToken(`/.well-known/acme-challenge/${T}`), T);
  for (
    const t of [
      `/.well-known/acme-challenge/${T}?a`,
      `/.well-known/acme-challenge/${T}/x`,
      `/.well-known/acme-challenge/${T}%41`,
      `/.well-known/acme-challenge/${T}=`,
      `/.well-known/acme-challenge/short`,
      `/.well-known/Acme-Challenge/${T}`,
      `http://example.org/.well-known/acme-challenge/${T}`,
    ]
  ) {
    assert.equal(challengeToken(t), null, t);
  }
});

Deno.test("isToken() and challengeKey() keep memcached keys short and printable", () => {
  assert.equal(isToken(T), true);
  assert.equal(isToken("a b".repeat(10)), false);
  assert.equal(isToken("x".repeat(129)), false);
  assert.equal(challengeKey(T), `acme:t:${T}`);
  assert.ok(`hs:${challengeKey("x".repeat(128))}`.length < 250, "memcached's key limit");
});
