import assert from "node:assert/strict";
import { FieldList } from "../http/headers.ts";
import { AcmeCluster, sharedAnswers } from "../acme/cluster.ts";
import { AcmeChallenges } from "./acme_challenge.ts";
import type { ServerRequest } from "./request.ts";

const TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const PATH = `/.well-known/acme-challenge/${TOKEN}`;

function req(target: string, method = "GET"): ServerRequest {
  return {
    method,
    target,
    headers: new FieldList(),
    body: null,
    streamable: true,
    peer: { ip: "127.0.0.1", port: 1 },
    scheme: "http",
  };
}

function body(p: unknown): string {
  const plan = p as { body: { kind: string; data?: Uint8Array } };
  return plan.body.kind === "bytes" ? new TextDecoder().decode(plan.body.data) : "";
}

Deno.test("AcmeChallenges answers the tokens it was given, from its start message too", () => {
  const c = new AcmeChallenges(null, { [TOKEN]: `${TOKEN}.a` });
  assert.equal(body(c.answer(req(PATH))), `${TOKEN}.a`);
  c.set(TOKEN, `${TOKEN}.b`);
  assert.equal(body(c.answer(req(PATH))), `${TOKEN}.b`);
  c.set(TOKEN, null);
  assert.equal(c.answer(req(PATH)), null, "withdrawn: not ours to answer");
});

Deno.test("AcmeChallenges leaves alone what is not a challenge: other paths, queries, bad tokens, other methods", () => {
  const c = new AcmeChallenges(() => Promise.reject(new Error("must not be asked")), {
    [TOKEN]: "x",
  });
  for (
    const t of [
      "/",
      "/.well-known/acme-challenge/",
      `${PATH}?x=1`,
      `${PATH}/`,
      "/.well-known/acme-challenge/short",
      "/.well-known/acme-challenge/%2e%2e%2fetc%2fpasswd0000000000",
      `/.well-known/acme-challenge/${"a".repeat(129)}`,
      `/x${PATH}`,
    ]
  ) {
    assert.equal(c.answer(req(t)), null, t);
  }
  for (const m of ["POST", "PUT", "DELETE", "OPTIONS"]) assert.equal(c.answer(req(PATH, m)), null);
});

Deno.test("AcmeChallenges asks the shared store for a token it does not know (another instance's order)", async () => {
  const asked: string[] = [];
  const values = new Map<string, string>();
  const secret = "challenge-test-secret-0123456789";
  const cluster = new AcmeCluster({
    store: {
      getValue: (k) => Promise.resolve(values.get(k) ?? null),
      setValue: (k, v) => Promise.resolve(void values.set(k, v)),
      addValue: () => Promise.resolve(true),
      deleteValue: (k) => Promise.resolve(void values.delete(k)),
    },
    domains: ["example.org"],
    secret,
    owner: "test",
    lockTtlS: 60,
  });
  await cluster.putToken(TOKEN, `${TOKEN}.other`); // as the instance that orders does
  const get = (key: string) => (asked.push(key), Promise.resolve(values.get(key) ?? null));
  const c = new AcmeChallenges(sharedAnswers(get, secret));
  const p = c.answer(req(PATH));
  assert.ok(p instanceof Promise);
  assert.equal(body(await p), `${TOKEN}.other`);
  const other = "Zb1XqW9B0q9nImBbs3FOz_QV70H1Mqyuas16DrGVloM";
  assert.equal(await c.answer(req(`/.well-known/acme-challenge/${other}`)), null);
  assert.deepEqual(asked, [`acme:t:${TOKEN}`, `acme:t:${other}`]);
  const head = await c.answer(req(PATH, "HEAD"));
  assert.equal((head as { body: { kind: string } }).body.kind, "none");
  // An answer someone wrote into memcached without the session secret is not given: it could
  // get them a certificate for our names.
  values.set(`acme:t:${TOKEN}`, `${TOKEN}.attacker`);
  assert.equal(await c.answer(req(PATH)), null);
  const wrongSecret = new AcmeChallenges(sharedAnswers(get, "another-secret-0123456789"));
  await cluster.putToken(TOKEN, `${TOKEN}.other`);
  assert.equal(await wrongSecret.answer(req(PATH)), null);
});
