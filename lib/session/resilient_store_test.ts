import assert from "node:assert/strict";
import { type CounterBatch, type CounterTotals, PartlyCounted } from "./counters.ts";
import { MemoryStore } from "./memory_store.ts";
import {
  bounded,
  ResilientStore,
  type SharedStore,
  type StoreEvent,
  TimeoutError,
  type Timers,
} from "./resilient_store.ts";
import type { SessionRecord, SessionUpdate } from "./session.ts";

type Mode = "ok" | "fail" | "hang" | "partly";

/** A shared store whose answers the test controls. */
class FakeShared implements SharedStore {
  readonly description = "fake:11211";
  mode: Mode = "ok";
  readonly inner = new MemoryStore();
  closed = false;
  /** Calls of any method but close(). */
  calls = 0;
  pings = 0;
  #run<T>(f: () => Promise<T>): Promise<T> {
    this.calls++;
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
    this.pings++;
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

/** Let every promise callback that can run now run (one real turn of the event loop). */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/**
 * Timers that fire only when the test moves time on: bounds and retries are checked to the
 * millisecond, and no assertion depends on how fast the machine runs.
 */
class ManualTimers implements Timers {
  /** The manual time, ms. */
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
  /** Timers started and neither fired nor cancelled. */
  get pending(): number {
    return this.#due.size;
  }
  /** Move time on by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
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

/** A promise's outcome as far as it is known. */
interface Watched<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
}

function watch<T>(p: Promise<T>): Watched<T> {
  const w: Watched<T> = { settled: false };
  p.then((v) => Object.assign(w, { settled: true, value: v }), (e) => {
    Object.assign(w, { settled: true, error: e });
  });
  return w;
}

const TIMEOUT_MS = 50;
const BACKGROUND_MS = 200;
const RETRY_MS = 1000;

const BATCH: CounterBatch = {
  requests: 1,
  bytes: 1,
  classes: [0, 1, 0, 0, 0],
  resources: [["/a", 1, "c", 1]],
};
// The fallback checks records against the real clock; these stay alive for their 60 s TTL.
const upd = (id: string): SessionUpdate => ({
  id,
  createdMs: Date.now(),
  lastSeenMs: Date.now(),
  requests: 1,
  client: "c",
});

/** A started store over a fake memcached in `mode`, its first probe answered. */
async function started(mode: Mode) {
  const primary = new FakeShared();
  primary.mode = mode;
  const events: StoreEvent[] = [];
  const timers = new ManualTimers();
  const store = new ResilientStore({
    primary,
    fallback: new MemoryStore(),
    timeoutMs: TIMEOUT_MS,
    backgroundTimeoutMs: BACKGROUND_MS,
    retryMs: RETRY_MS,
    onChange: (e) => events.push(e),
    now: () => timers.now,
    timers,
  });
  store.start();
  await timers.advance(0);
  return { primary, events, store, timers };
}

Deno.test("bounded() rejects with TimeoutError when its time runs out, not before", async () => {
  const timers = new ManualTimers();
  const late = watch(bounded(new Promise(() => {}), 10, timers));
  await timers.advance(9);
  assert.equal(late.settled, false);
  await timers.advance(1);
  assert.ok(late.error instanceof TimeoutError, String(late.error));
  assert.equal(await bounded(Promise.resolve(7), 10, timers), 7);
  assert.equal(timers.pending, 0, "a settled bound leaves no timer behind");
  // The default timers are the real ones.
  await assert.rejects(bounded(new Promise(() => {}), 10), TimeoutError);
  assert.equal(await bounded(Promise.resolve(7), 10), 7);
});

Deno.test("ResilientStore.lookup() waits for a hanging memcached up to the timeout, then falls back", async () => {
  const { primary, events, store, timers } = await started("ok");
  assert.equal(store.status.state, "up");
  await store.putSessions([upd("s1")], 60);
  assert.equal((await store.lookup("s1")).kind, "found");
  primary.mode = "hang";
  const slow = watch(store.lookup("s1"));
  await timers.advance(TIMEOUT_MS - 1);
  assert.equal(slow.settled, false, "memcached gets the whole timeout to answer");
  await timers.advance(1);
  assert.equal(slow.value?.kind, "unavailable");
  assert.deepEqual(store.status, {
    state: "down",
    sinceMs: TIMEOUT_MS,
    detail: `no answer within ${TIMEOUT_MS} ms`,
    servers: "fake:11211",
  });
  assert.deepEqual(events.map((e) => [e.state, e.atStart]), [["up", false], ["down", false]]);
  const calls = primary.calls;
  const quick = watch(store.lookup("s1"));
  await timers.advance(0);
  assert.equal(quick.value?.kind, "unavailable", "while down: answered with no time passing");
  assert.equal(primary.calls, calls, "while down: memcached is not asked");
  store.close();
  assert.ok(primary.closed);
  assert.equal(timers.pending, 0, "close() cancels the retry probe");
});

Deno.test("ResilientStore reports one outage at start, serves from memory, retries every retryMs, and recovers", async () => {
  const { primary, events, store, timers } = await started("fail");
  assert.equal(store.status.state, "down");
  assert.deepEqual(events, [{ state: "down", atStart: true, detail: "connect ECONNREFUSED" }]);
  await store.putSessions([upd("m1")], 60);
  assert.equal((await store.lookup("m1")).kind, "found");
  assert.equal((await store.lookup("other")).kind, "unavailable");
  assert.equal(await store.addCounts(BATCH), null);
  assert.equal(await store.readCounts(5), null);
  assert.equal(primary.calls, 1, "only the start-up probe asked memcached");
  for (let probes = 1; probes <= 4; probes++) {
    await timers.advance(RETRY_MS - 1);
    assert.equal(primary.pings, probes, "no probe before retryMs has passed");
    await timers.advance(1);
    assert.equal(primary.pings, probes + 1, "a probe in the background every retryMs");
  }
  assert.equal(events.length, 1, "failed probes while down add no event");
  primary.mode = "ok";
  await timers.advance(RETRY_MS);
  assert.equal(store.status.state, "up");
  assert.equal(store.status.sinceMs, 5 * RETRY_MS);
  assert.deepEqual(events.map((e) => e.state), ["down", "up"]);
  assert.equal(timers.pending, 0, "no probing once up");
  assert.equal((await store.addCounts(BATCH))?.get("/a"), 1);
  assert.equal((await store.readCounts(5))?.requests, 1);
  assert.equal((await store.lookup("m1")).kind, "found"); // made during the outage, kept
  assert.equal((await store.lookup("never")).kind, "missing");
  store.close();
});

Deno.test("ResilientStore: a failed batch write falls back and marks the store down", async () => {
  const { primary, events, store } = await started("ok");
  primary.mode = "fail";
  await store.putSessions([upd("w1")], 60);
  assert.equal(store.status.state, "down");
  assert.deepEqual(events.map((e) => e.state), ["up", "down"]);
  primary.mode = "ok";
  assert.equal((await store.lookup("w1")).kind, "found");
  store.close();
});

Deno.test("ResilientStore: a slow status read gives up after the timeout and is not an outage", async () => {
  const { primary, events, store, timers } = await started("ok");
  primary.mode = "hang";
  const read = watch(store.readCounts(5));
  await timers.advance(TIMEOUT_MS - 1);
  assert.equal(read.settled, false);
  await timers.advance(1);
  assert.deepEqual(read, { settled: true, value: null });
  assert.equal(store.status.state, "up");
  assert.deepEqual(events.map((e) => e.state), ["up"]);
  store.close();
});

Deno.test("ResilientStore without memcached uses memory: unknown sessions are missing", async () => {
  const timers = new ManualTimers();
  const store = new ResilientStore({
    primary: null,
    fallback: new MemoryStore(),
    timeoutMs: 50,
    timers,
  });
  store.start();
  assert.equal(store.status.state, "off");
  assert.equal((await store.lookup("x")).kind, "missing");
  await store.putSessions([upd("x")], 60);
  assert.equal((await store.lookup("x")).kind, "found");
  assert.equal((await store.addCounts(BATCH))?.get("/a"), 1);
  assert.equal(await store.readCounts(5), null);
  assert.equal(timers.pending, 0, "nothing to probe or bound");
  store.close();
});

Deno.test("ResilientStore: a counter batch that got no answer in time is not offered again", async () => {
  const { primary, store, timers } = await started("ok");
  primary.mode = "hang"; // sent, no answer: memcached may have applied some increments
  const sent = watch(store.addCounts(BATCH));
  await timers.advance(BACKGROUND_MS - 1);
  assert.equal(sent.settled, false, "a batch gets the background bound, not the request one");
  await timers.advance(1);
  assert.notEqual(sent.value, null, "null would make the caller send the batch again");
  assert.equal(sent.value?.size, 0);
  assert.equal(store.status.state, "down");
  assert.equal(await store.addCounts(BATCH), null, "known to be away: not sent, offer it again");
  store.close();
  const refused = await started("ok");
  refused.primary.mode = "fail"; // refused: nothing applied, so it is offered again
  assert.equal(await refused.store.addCounts(BATCH), null);
  refused.store.close();
});

Deno.test("ResilientStore: a counter batch that failed part way (PartlyCounted) is not offered again", async () => {
  const { primary, store } = await started("ok");
  assert.equal(store.status.state, "up");
  primary.mode = "partly"; // e.g. memjs's own timeout after some increments were answered
  const t = await store.addCounts(BATCH);
  assert.notEqual(t, null, "null would make the caller send the batch again");
  assert.equal(store.status.state, "down");
  store.close();
});
