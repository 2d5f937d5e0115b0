import assert from "node:assert/strict";
import { MemoryStore } from "./memory_store.ts";

const upd = (id: string, lastSeenMs: number, requests = 1) => ({
  id,
  createdMs: 0,
  lastSeenMs,
  requests,
  client: `c${id}`,
});

Deno.test("MemoryStore keeps sessions until ttlS after their last request", async () => {
  let now = 1000;
  const s = new MemoryStore({ now: () => now });
  assert.equal(await s.getSession("a"), null);
  await s.putSessions([upd("a", 1000, 2)], 10);
  await s.putSessions([upd("a", 5000, 3)], 10);
  assert.deepEqual(await s.getSession("a"), {
    createdMs: 0,
    lastSeenMs: 5000,
    requests: 5,
    client: "ca",
  });
  now = 14_999;
  assert.notEqual(await s.getSession("a"), null);
  now = 15_000;
  assert.equal(await s.getSession("a"), null);
  assert.equal(s.size, 0);
});

Deno.test("MemoryStore drops the least recently written session past maxSessions", async () => {
  const s = new MemoryStore({ maxSessions: 2, now: () => 0 });
  await s.putSessions([upd("a", 0), upd("b", 0)], 10);
  await s.putSessions([upd("a", 0)], 10); // a is now the most recent
  await s.putSessions([upd("c", 0)], 10);
  assert.equal(s.size, 2);
  assert.equal(await s.getSession("b"), null);
  assert.notEqual(await s.getSession("a"), null);
});

Deno.test("MemoryStore adds counts and reads totals", async () => {
  const s = new MemoryStore();
  const t = await s.addCounts({
    requests: 2,
    bytes: 9,
    classes: [0, 2, 0, 0, 0],
    resources: [["/x", 2, "c", 1]],
  });
  assert.equal(t.get("/x"), 2);
  const r = await s.readCounts(5);
  assert.equal(r.requests, 2);
  assert.deepEqual(r.resources.map((x) => [x.name, x.count]), [["/x", 2]]);
});
