/**
 * The manager against a fake CA, an in-memory store and cluster, and timers the test moves:
 * when it orders, what it writes and logs, how it waits after failures, and how instances share
 * one certificate. The real CA (pebble) and a real memcached are in tests/acme_test.ts.
 */
import assert from "node:assert/strict";
import type { CertificateAuthority, ChallengeHooks } from "./acme_client.ts";
import type { Cluster } from "./cluster.ts";
import { type AcmeLogLevel, AcmeManager, CLUSTER_POLL_MS, type Timers } from "./manager.ts";
import type { CertificateFacts } from "./schedule.ts";
import type { CertificatePair, PairStore } from "./storage.ts";

const MIN = 60_000;
const DAY = 1440 * MIN;
const DOMAINS = ["example.org", "www.example.org"];
const TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";

/** Timers that fire only when the test moves time on. */
class ManualTimers implements Timers {
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  start(fn: () => void, ms: number): number {
    this.#due.set(this.#next, { at: this.now + ms, fn });
    return this.#next++;
  }
  cancel(handle: unknown): void {
    this.#due.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#due) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (first === undefined) break;
      this.#due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = end;
  }
}

/**
 * "Certificates" are strings `CERT <names> <notBefore> <notAfter>`; the manager reads them
 * through `inspect`, as it reads PEM through acme-client.
 */
function certText(names: readonly string[], from: number, days: number): string {
  return `CERT ${names.join(",")} ${from} ${from + days * DAY}`;
}
function inspect(pem: string): CertificateFacts {
  const [tag, names, from, to] = pem.split(" ");
  if (tag !== "CERT") throw new Error("not a certificate");
  return {
    names: names!.split(","),
    notBeforeMs: Number(from),
    notAfterMs: Number(to),
    issuer: "Fake CA",
  };
}

/** A CA whose answers the test scripts. */
class FakeCa implements CertificateAuthority {
  readonly name = "ca.test";
  orders = 0;
  days = 90;
  /** Fail the next orders with these messages. */
  failures: string[] = [];
  hang = false;
  /** While set, orders wait for it. */
  hold: Promise<void> | null = null;
  presented: string[] = [];
  constructor(readonly timers: ManualTimers) {}
  async order(domains: readonly string[], hooks: ChallengeHooks): Promise<CertificatePair> {
    this.orders++;
    await hooks.present(TOKEN, `${TOKEN}.thumb`);
    this.presented.push(TOKEN);
    try {
      if (this.hang) await new Promise(() => {});
      if (this.hold !== null) await this.hold;
      const why = this.failures.shift();
      if (why !== undefined) throw new Error(why);
      return { cert: certText(domains, this.timers.now, this.days), key: `KEY ${this.orders}` };
    } finally {
      await hooks.withdraw(TOKEN);
    }
  }
}

class MapStore implements PairStore {
  pair: CertificatePair | null = null;
  writes = 0;
  broken = false;
  readPair() {
    return this.pair;
  }
  writePair(p: CertificatePair) {
    if (this.broken) throw new Error("No space left on device (os error 28)");
    this.writes++;
    this.pair = p;
  }
}

/** The memcached side of a cluster, shared by the FakeClusters of several instances. */
class Shared {
  lockedBy: object | null = null;
  cert: CertificatePair | null = null;
  tokens = new Map<string, string>();
  down = false;
}
class FakeCluster implements Cluster {
  constructor(readonly shared: Shared) {}
  #check() {
    if (this.shared.down) throw new Error("connect ECONNREFUSED 127.0.0.1:11211");
  }
  lock() {
    this.#check();
    if (this.shared.lockedBy !== null) return Promise.resolve(false);
    this.shared.lockedBy = this;
    return Promise.resolve(true);
  }
  unlock() {
    if (this.shared.lockedBy === this) this.shared.lockedBy = null;
    return Promise.resolve();
  }
  locked() {
    this.#check();
    return Promise.resolve(this.shared.lockedBy !== null);
  }
  putToken(t: string, ka: string) {
    this.#check();
    this.shared.tokens.set(t, ka);
    return Promise.resolve();
  }
  dropToken(t: string) {
    this.shared.tokens.delete(t);
    return Promise.resolve();
  }
  certificate() {
    this.#check();
    return Promise.resolve(this.shared.cert);
  }
  publish(p: CertificatePair) {
    this.#check();
    this.shared.cert = p;
    return Promise.resolve();
  }
}

function setup(o: { cluster?: Cluster; stored?: CertificatePair; timers?: ManualTimers } = {}) {
  const timers = o.timers ?? new ManualTimers();
  timers.now ||= 1000 * DAY;
  const ca = new FakeCa(timers);
  const store = new MapStore();
  store.pair = o.stored ?? null;
  const lines: Array<[AcmeLogLevel, string]> = [];
  const workerTokens = new Map<string, string>();
  let written = 0;
  const manager = new AcmeManager({
    domains: DOMAINS,
    retryMs: 10 * MIN,
    retryMaxMs: 12 * 60 * MIN,
    timeoutMs: 5 * MIN,
    ca,
    store,
    inspect,
    cluster: o.cluster ?? null,
    workers: {
      present: (t, ka) => (workerTokens.set(t, ka), Promise.resolve()),
      withdraw: (t) => void workerTokens.delete(t),
    },
    log: (level, message) => lines.push([level, message]),
    certificateWritten: () => written++,
    now: () => timers.now,
    timers,
  });
  return {
    manager,
    ca,
    store,
    timers,
    lines,
    workerTokens,
    written: () => written,
    errors: () => lines.filter(([l]) => l === "error").map(([, m]) => m),
  };
}

Deno.test("AcmeManager orders at once without a certificate, writes it, tells HTTPS, and renews at two thirds", async () => {
  const t = setup();
  t.manager.start();
  assert.equal(t.manager.view().state, "starting", "start() orders in the background");
  await t.timers.advance(0);
  assert.equal(t.ca.orders, 1);
  assert.equal(t.store.writes, 1);
  assert.equal(t.written(), 1, "certificateWritten once, after the files");
  assert.deepEqual(t.ca.presented, [TOKEN]);
  assert.equal(t.workerTokens.size, 0, "the token is withdrawn after the order");
  const v = t.manager.view();
  assert.equal(v.state, "valid");
  assert.deepEqual(v.certificate?.names, DOMAINS);
  assert.equal(v.certificate?.source, "ordered");
  assert.equal(v.certificate?.renewAtMs, 1060 * DAY);
  assert.equal(v.nextAttemptMs, 1060 * DAY);
  assert.deepEqual(t.lines.map(([l]) => l), ["notice"]);
  assert.match(
    t.lines[0]![1],
    /^certificate for example.org, www.example.org obtained from ca.test: valid until 1972-12-26T00:00:00Z, renewal from 1972-11-26T00:00:00Z$/,
  );
  // Renewal: nothing until day 60, through many long sleeps (setTimeout's limit is 24.8 days).
  await t.timers.advance(60 * DAY - 1);
  assert.equal(t.ca.orders, 1);
  await t.timers.advance(1);
  assert.equal(t.ca.orders, 2);
  assert.equal(t.store.pair?.key, "KEY 2");
  assert.equal(t.written(), 2);
  t.manager.stop();
});

Deno.test("AcmeManager keeps a valid certificate found in ACMEStorage, and orders when it lacks a name", async () => {
  const now = 1000 * DAY;
  const valid = setup({ stored: { cert: certText(DOMAINS, now - 10 * DAY, 90), key: "K" } });
  valid.manager.start();
  await valid.timers.advance(0);
  assert.equal(valid.ca.orders, 0);
  assert.equal(valid.written(), 0, "HTTPS reads its files at start itself");
  assert.equal(valid.manager.view().certificate?.source, "files");
  assert.match(valid.lines[0]![1], /^certificate for example.org, www.example.org valid until/);
  await valid.timers.advance(50 * DAY);
  assert.equal(valid.ca.orders, 1, "renewed on day 60 of its life");
  valid.manager.stop();

  const short = setup({ stored: { cert: certText(["example.org"], now, 90), key: "K" } });
  short.manager.start();
  await short.timers.advance(0);
  assert.equal(short.ca.orders, 1);
  assert.match(
    short.lines[0]![1],
    /is for example.org, not for all of example.org, www.example.org/,
  );
  short.manager.stop();

  const junk = setup({ stored: { cert: "garbage", key: "K" } });
  junk.manager.start();
  await junk.timers.advance(0);
  assert.equal(junk.ca.orders, 1);
  assert.equal(junk.lines[0]![0], "warn");
  assert.match(
    junk.lines[0]![1],
    /cannot use the certificate in ACMEStorage \(not a certificate\)/,
  );
  junk.manager.stop();
});

Deno.test("AcmeManager logs one line per failure and retries after 10, 20, 40 minutes; a success resets the wait", async () => {
  const t = setup();
  t.ca.failures = ["urn:ietf:params:acme:error:connection: connection refused", "b", "c"];
  t.manager.start();
  await t.timers.advance(0);
  assert.equal(t.errors().length, 1);
  assert.equal(
    t.errors()[0],
    "cannot obtain a certificate for example.org, www.example.org from ca.test (attempt 1): " +
      "urn:ietf:params:acme:error:connection: connection refused; plain HTTP keeps serving; " +
      "next attempt in 10m",
  );
  const v = t.manager.view();
  assert.equal(v.state, "failing");
  assert.equal(v.failures, 1);
  assert.equal(v.certificate, null);
  assert.equal(v.nextAttemptMs, t.timers.now + 10 * MIN);
  await t.timers.advance(10 * MIN - 1);
  assert.equal(t.ca.orders, 1, "not before the wait is over");
  await t.timers.advance(1);
  assert.equal(t.ca.orders, 2);
  assert.match(t.errors()[1]!, /\(attempt 2\): b; .* next attempt in 20m$/);
  await t.timers.advance(20 * MIN);
  assert.match(t.errors()[2]!, /\(attempt 3\): c; .* next attempt in 40m$/);
  await t.timers.advance(40 * MIN);
  assert.equal(t.ca.orders, 4);
  assert.equal(t.errors().length, 3, "one line per failure, none for the success");
  assert.equal(t.manager.view().failures, 0);
  assert.equal(t.manager.view().failuresTotal, 3);
  assert.equal(t.written(), 1);
  // The next failure (at renewal) waits 10 minutes again, and says the old certificate serves.
  t.ca.failures = ["d"];
  await t.timers.advance(60 * DAY);
  assert.match(
    t.errors()[3]!,
    /\(attempt 1\): d; HTTPS keeps the current certificate \(valid until .*\); next attempt in 10m$/,
  );
  t.manager.stop();
});

Deno.test("AcmeManager gives up an attempt after ACMETimeout, and a write that fails is a failure", async () => {
  const t = setup();
  t.ca.hang = true;
  t.manager.start();
  await t.timers.advance(5 * MIN - 1);
  assert.equal(t.errors().length, 0);
  await t.timers.advance(1);
  assert.match(t.errors()[0]!, /no certificate within ACMETimeout/);
  t.manager.stop();

  const w = setup();
  w.store.broken = true;
  w.manager.start();
  await w.timers.advance(0);
  assert.match(w.errors()[0]!, /cannot write the certificate to ACMEStorage: No space left/);
  assert.equal(w.written(), 0, "HTTPS is not told about files that are not there");
  w.manager.stop();
});

Deno.test("AcmeManager with a cluster: one order between two instances, the other takes the certificate", async () => {
  const shared = new Shared();
  const timers = new ManualTimers();
  const a = setup({ cluster: new FakeCluster(shared), timers });
  const b = setup({ cluster: new FakeCluster(shared), timers });
  let release = () => {};
  a.ca.hold = new Promise((r) => (release = r));
  a.manager.start();
  b.manager.start(); // both due at once; a takes the lock first
  await timers.advance(0);
  assert.equal(a.ca.orders, 1);
  assert.equal(shared.tokens.get(TOKEN), `${TOKEN}.thumb`, "a's token is in the cluster for b");
  release();
  assert.equal(b.ca.orders, 0);
  assert.equal(b.manager.view().state, "waiting");
  assert.ok(
    b.lines.some(([, m]) => /another instance is ordering the certificate for .*: waiting/.test(m)),
  );
  await timers.advance(CLUSTER_POLL_MS);
  assert.equal(b.ca.orders, 0, "b never ordered");
  assert.deepEqual(b.store.pair, a.store.pair, "b has a's certificate and key");
  assert.equal(b.written(), 1);
  assert.equal(b.manager.view().certificate?.source, "cluster");
  assert.match(b.lines.at(-1)![1], /taken from memcached \(another instance ordered it\)/);
  assert.equal(shared.lockedBy, null, "a gave the lock back");
  assert.equal(shared.tokens.size, 0, "a's token was withdrawn after the order");
  a.manager.stop();
  b.manager.stop();
});

Deno.test("AcmeManager with a cluster takes a published certificate without ordering or locking", async () => {
  const shared = new Shared();
  const timers = new ManualTimers();
  timers.now = 1000 * DAY;
  shared.cert = { cert: certText(DOMAINS, timers.now - DAY, 90), key: "SHARED" };
  const t = setup({ cluster: new FakeCluster(shared), timers });
  t.manager.start();
  await timers.advance(0);
  assert.equal(t.ca.orders, 0);
  assert.equal(t.store.pair?.key, "SHARED");
  // A published certificate that is itself due is not taken: this instance orders a new one.
  const due = new Shared();
  due.cert = { cert: certText(DOMAINS, timers.now - 70 * DAY, 90), key: "OLD" };
  const u = setup({ cluster: new FakeCluster(due), timers });
  u.manager.start();
  await timers.advance(0);
  assert.equal(u.ca.orders, 1);
  assert.notEqual(due.cert?.key, "OLD", "and publishes it");
  t.manager.stop();
  u.manager.stop();
});

Deno.test("AcmeManager with a cluster: a holder that publishes nothing is a failure; memcached away means ordering alone", async () => {
  const shared = new Shared();
  const timers = new ManualTimers();
  const t = setup({ cluster: new FakeCluster(shared), timers });
  shared.lockedBy = {}; // another instance
  t.manager.start();
  await timers.advance(CLUSTER_POLL_MS);
  assert.equal(t.errors().length, 0, "still waiting while the lock is held");
  shared.lockedBy = null; // it gave up without a certificate
  await timers.advance(CLUSTER_POLL_MS);
  assert.match(t.errors()[0]!, /the instance that held the order lock published no certificate/);
  assert.equal(t.ca.orders, 0);
  t.manager.stop();

  const away = new Shared();
  away.down = true;
  const u = setup({ cluster: new FakeCluster(away), timers });
  u.manager.start();
  await timers.advance(0);
  assert.equal(u.ca.orders, 1);
  assert.match(
    u.lines.find(([l]) => l === "notice")![1],
    /; memcached unreachable \(connect ECONNREFUSED .*\): ordered without the cluster lock$/,
  );
  assert.ok(
    u.lines.some(([l, m]) => l === "warn" && /cannot share a challenge through memcached/.test(m)),
  );
  assert.equal(u.workerTokens.size, 0);
  u.manager.stop();
});

Deno.test("AcmeManager shares a challenge with the cluster while it orders", async () => {
  const shared = new Shared();
  const timers = new ManualTimers();
  const t = setup({ cluster: new FakeCluster(shared), timers });
  let seen: string | undefined;
  const order = t.ca.order.bind(t.ca);
  t.ca.order = async (d, hooks) =>
    await order(d, {
      present: async (tok, ka) => {
        await hooks.present(tok, ka);
        seen = shared.tokens.get(tok);
        assert.equal(t.workerTokens.get(tok), ka, "the workers have it before the CA is told");
      },
      withdraw: hooks.withdraw,
    });
  t.manager.start();
  await timers.advance(0);
  assert.equal(seen, `${TOKEN}.thumb`);
  assert.equal(shared.tokens.size, 0);
  t.manager.stop();
});
