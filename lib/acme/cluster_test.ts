import assert from "node:assert/strict";
import { AcmeCluster, sharedAnswers, type SharedValues } from "./cluster.ts";

/** memcached's get/set/add/delete over a Map (expiry not modelled). */
class MapValues implements SharedValues {
  readonly map = new Map<string, string>();
  getValue(k: string) {
    return Promise.resolve(this.map.get(k) ?? null);
  }
  setValue(k: string, v: string) {
    this.map.set(k, v);
    return Promise.resolve();
  }
  addValue(k: string, v: string) {
    if (this.map.has(k)) return Promise.resolve(false);
    this.map.set(k, v);
    return Promise.resolve(true);
  }
  deleteValue(k: string) {
    this.map.delete(k);
    return Promise.resolve();
  }
}

const SECRET = "cluster-test-secret-0123456789";
const cluster = (store: SharedValues, o: { secret?: string; domains?: string[] } = {}) =>
  new AcmeCluster({
    store,
    domains: o.domains ?? ["b.example.org", "a.example.org"],
    secret: o.secret ?? SECRET,
    owner: "host pid 1",
    lockTtlS: 360,
  });
const PAIR = {
  cert: "-----BEGIN CERTIFICATE-----\nLEAF\n",
  key: "-----BEGIN PRIVATE KEY-----\nSECRET KEY\n",
};
const LATER = Date.UTC(2031, 0, 1);

Deno.test("AcmeCluster: one instance takes the order lock; only its holder gives it back", async () => {
  const store = new MapValues();
  const a = cluster(store);
  const b = cluster(store, { domains: ["a.example.org", "b.example.org"] }); // same set, any order
  assert.equal(await a.lock(), true);
  assert.equal(await b.lock(), false);
  assert.equal(await b.locked(), true);
  await b.unlock(); // not b's: left alone
  assert.equal(await a.locked(), true);
  await a.unlock();
  assert.equal(await b.locked(), false);
  assert.equal(await b.lock(), true);
  const other = cluster(store, { domains: ["c.example.org"] });
  assert.equal(await other.lock(), true, "another set of names has its own lock");
});

Deno.test("AcmeCluster shares challenge answers sealed, under the key the workers read", async () => {
  const store = new MapValues();
  const c = cluster(store);
  const token = "tok_tok_tok_tok_tok";
  await c.putToken(token, `${token}.thumb`);
  const stored = store.map.get(`acme:t:${token}`);
  assert.ok(stored?.startsWith("v1.") && !stored.includes("thumb"), stored);
  const read = sharedAnswers((k) => store.getValue(k), SECRET);
  assert.equal(await read(token), `${token}.thumb`);
  assert.equal(
    await sharedAnswers((k) => store.getValue(k), "other-secret-0123456789")(token),
    null,
  );
  // Sealed for one token, it does not answer another.
  store.map.set("acme:t:other_other_other", stored!);
  assert.equal(await read("other_other_other"), null);
  await c.dropToken(token);
  assert.equal(store.map.has(`acme:t:${token}`), false);
});

Deno.test("AcmeCluster seals the certificate's key: readable with the shared secret only", async () => {
  const store = new MapValues();
  await cluster(store).publish(PAIR, LATER);
  const [stored] = [...store.map.values()];
  assert.ok(stored !== undefined && stored.startsWith("v1."));
  assert.ok(!stored.includes("SECRET KEY") && !atobSafe(stored).includes("SECRET KEY"));
  assert.deepEqual(await cluster(store).certificate(), PAIR, "another instance reads it");
  assert.equal(await cluster(store, { secret: "another-secret-0123456789" }).certificate(), null);
  assert.equal(
    await cluster(store, { domains: ["c.example.org"] }).certificate(),
    null,
    "another set of names has its own",
  );
  // A sealed pair moved under another set's key does not open (the set is authenticated).
  const other = cluster(store, { domains: ["c.example.org"] });
  await other.publish(PAIR, LATER);
  const keys = [...store.map.keys()];
  store.map.set(keys[1]!, store.map.get(keys[0]!)!);
  assert.equal(await other.certificate(), null);
  // Damaged: null, not an exception.
  store.map.set(keys[0]!, stored.slice(0, -4) + "AAAA");
  assert.equal(await cluster(store).certificate(), null);
  store.map.set(keys[0]!, "garbage");
  assert.equal(await cluster(store).certificate(), null);
});

function atobSafe(s: string): string {
  return s.split(".").map((p) => {
    try {
      return new TextDecoder().decode(Uint8Array.fromBase64(p));
    } catch {
      return "";
    }
  }).join("");
}
