import assert from "node:assert/strict";
import { type CounterBatch, type CounterTotals, PartlyCounted } from "./counters.ts";
import { MemoryStore } from "./memory_store.ts";
import {
  bounded,
  ResilientStore,
  type SharedStore,
  type StoreEvent,
  TimeoutError,
} from "./resilient_store.ts";
import type { SessionRecord, SessionUpdate } from "./session.ts";

type Mode = "ok" | "fail" | "hang" | "partly";

/** A shared store whose answers the test controls. */
class FakeShared implements SharedStore {
  readonly description = "fake:11211";
  mode: Mode = "ok";
  readonly inner = new MemoryStore();
  closed = false;
  #run<T>(f: () => Promise<T>): Promise<T> {
    if (this.mode === "fail") return Promise.reject(new Error("connect ECONNREFUSED"));
    if (this.mode === "hang") return new Promise<T>(() => {});
    if (this.mode === "partly") {
      return f().then(() =>
        Promise.reject(new PartlyCounted("socket timed out waiting on response."))
      );
    }
    return f();
  }
  ping(): Promise<void> {
    return this.#run(() => Promise.resolve());
  }
  close(): void {
    this.closed = true;
  }
  getSession(id: string): Promise<SessionRecord | null> {
    return this.#run(() => this.inner.getSession(id));
  }
  putSessions(u: readonly SessionUpdate[], ttlS: number): Promise<void> {
    return this.#run(() => this.inner.putSessions(u, ttlS));
  }
  addCounts(b: CounterBatch): Promise<ReadonlyMap<string, number>> {
    return this.#run(() => this.inner.addCounts(b));
  }
  readCounts(top: number): Promise<CounterTotals> {
    return this.#run(() => this.inner.readCounts(top));
  }
}

const BATCH: CounterBatch = {
  requests: 1,
  bytes: 1,
  classes: [0, 1, 0, 0, 0],
  resources: [["/a", 1, "c", 1]],
};
const upd = (id: string): SessionUpdate => ({
  id,
  createdMs: Date.now(),
  lastSeenMs: Date.now(),
  requests: 1,
  client: "c",
});

function setup(mode: Mode, timeoutMs = 30) {
  const primary = new FakeShared();
  primary.mode = mode;
  const events: StoreEvent[] = [];
  const store = new ResilientStore({
    primary,
    fallback: new MemoryStore(),
    timeoutMs,
    backgroundTimeoutMs: 60,
    retryMs: 20,
    onChange: (e) => events.push(e),
  });
  return { primary, events, store };
}

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("bounded() rejects with TimeoutError when the promise is late", async () => {
  await assert.rejects(bounded(new Promise(() => {}), 10), TimeoutError);
  assert.equal(await bounded(Promise.resolve(7), 10), 7);
});

Deno.test("ResilientStore.lookup() answers within the timeout when memcached hangs, then falls back", async () => {
  const { primary, events, store } = setup("ok");
  store.start();
  await until(() => store.status.state === "up");
  await store.putSessions([upd("s1")], 60);
  assert.equal((await store.lookup("s1")).kind, "found");
  primary.mode = "hang";
  const t0 = performance.now();
  assert.equal((await store.lookup("s1")).kind, "unavailable");
  assert.ok(performance.now() - t0 < 30 + 100, `took ${performance.now() - t0} ms`);
  assert.equal(store.status.state, "down");
  assert.deepEqual(events.map((e) => [e.state, e.atStart]), [["up", false], ["down", false]]);
  const t1 = performance.now();
  assert.equal((await store.lookup("s1")).kind, "unavailable"); // no wait at all while down
  assert.ok(performance.now() - t1 < 10);
  store.close();
  assert.ok(primary.closed);
});

Deno.test("ResilientStore reports one outage at start, serves from memory, and recovers", async () => {
  const { primary, events, store } = setup("fail");
  store.start();
  await until(() => store.status.state === "down");
  assert.deepEqual(events, [{ state: "down", atStart: true, detail: "connect ECONNREFUSED" }]);
  await store.putSessions([upd("m1")], 60);
  assert.equal((await store.lookup("m1")).kind, "found");
  assert.equal((await store.lookup("other")).kind, "unavailable");
  assert.equal(await store.addCounts(BATCH), null);
  assert.equal(await store.readCounts(5), null);
  await new Promise((r) => setTimeout(r, 80)); // several failed probes: still one event
  assert.equal(events.length, 1);
  primary.mode = "ok";
  await until(() => store.status.state === "up");
  assert.deepEqual(events.map((e) => e.state), ["down", "up"]);
  assert.equal((await store.addCounts(BATCH))?.get("/a"), 1);
  assert.equal((await store.readCounts(5))?.requests, 1);
  assert.equal((await store.lookup("m1")).kind, "found"); // made during the outage, kept
  assert.equal((await store.lookup("never")).kind, "missing");
  store.close();
});

Deno.test("ResilientStore: a failed batch write falls back and marks the store down", async () => {
  const { primary, events, store } = setup("ok");
  store.start();
  await until(() => store.status.state === "up");
  primary.mode = "fail";
  await store.putSessions([upd("w1")], 60);
  assert.equal(store.status.state, "down");
  assert.equal(events.at(-1)?.state, "down");
  primary.mode = "ok";
  assert.equal((await store.lookup("w1")).kind, "found");
  store.close();
});

Deno.test("ResilientStore: a slow status read is not an outage", async () => {
  const { primary, store } = setup("ok");
  store.start();
  await until(() => store.status.state === "up");
  primary.mode = "hang";
  assert.equal(await store.readCounts(5), null);
  assert.equal(store.status.state, "up");
  store.close();
});

Deno.test("ResilientStore without memcached uses memory: unknown sessions are missing", async () => {
  const store = new ResilientStore({ primary: null, fallback: new MemoryStore(), timeoutMs: 50 });
  store.start();
  assert.equal(store.status.state, "off");
  assert.equal((await store.lookup("x")).kind, "missing");
  await store.putSessions([upd("x")], 60);
  assert.equal((await store.lookup("x")).kind, "found");
  assert.equal((await store.addCounts(BATCH))?.get("/a"), 1);
  assert.equal(await store.readCounts(5), null);
  store.close();
});

Deno.test("ResilientStore: a counter batch that got no answer in time is not offered again", async () => {
  const { primary, store } = setup("ok");
  store.start();
  await until(() => store.status.state === "up");
  primary.mode = "hang"; // sent, no answer: memcached may have applied some increments
  const t = await store.addCounts(BATCH);
  assert.notEqual(t, null, "null would make the caller send the batch again");
  assert.equal(t?.size, 0);
  assert.equal(store.status.state, "down");
  assert.equal(await store.addCounts(BATCH), null, "known to be away: not sent, offer it again");
  store.close();
  const refused = setup("ok");
  refused.store.start();
  await until(() => refused.store.status.state === "up");
  refused.primary.mode = "fail"; // refused: nothing applied, so it is offered again
  assert.equal(await refused.store.addCounts(BATCH), null);
  refused.store.close();
});

Deno.test("ResilientStore: a counter batch that failed part way (PartlyCounted) is not offered again", async () => {
  const { primary, store } = setup("ok");
  store.start();
  await until(() => store.status.state === "up");
  primary.mode = "partly"; // e.g. memjs's own timeout after some increments were answered
  const t = await store.addCounts(BATCH);
  assert.notEqual(t, null, "null would make the caller send the batch again");
  assert.equal(store.status.state, "down");
  store.close();
});
