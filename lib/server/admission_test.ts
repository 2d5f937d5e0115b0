import assert from "node:assert/strict";
import { Admission, oldestWaiting, shareOf } from "./admission.ts";

const conn = (waitingSince: number | null) => ({ waitingSince });

Deno.test("shareOf() gives each worker ceil(limit / workers), at least 1", () => {
  assert.deepEqual([shareOf(256, 2), shareOf(5, 2), shareOf(1, 8), shareOf(64, 1)], [
    128,
    3,
    1,
    64,
  ]);
  assert.equal(shareOf(10, 0), 10);
});

Deno.test("oldestWaiting() picks the connection waiting longest, never a busy one", () => {
  const a = conn(30);
  const b = conn(10);
  const busy = conn(null);
  assert.equal(oldestWaiting([a, busy, b]), b);
  assert.equal(oldestWaiting([busy]), null);
  assert.equal(oldestWaiting([]), null);
});

Deno.test("Admission refuses a client over its share, admits below the worker's, evicts when full", () => {
  const adm = new Admission({ maxOpen: 6, maxPerClient: 4, workers: 2 }); // 3 open, 2 per client
  assert.equal(adm.maxOpen, 3);
  assert.equal(adm.maxPerClient, 2);
  const open: Array<{ waitingSince: number | null }> = [];
  assert.deepEqual(adm.decide("a", open), { kind: "admit" });
  adm.opened("a");
  open.push(conn(1));
  adm.opened("a");
  open.push(conn(2));
  assert.deepEqual(adm.decide("a", open), { kind: "refuse", reason: "client" });
  assert.deepEqual(adm.decide("b", open), { kind: "admit" });
  adm.opened("b");
  open.push(conn(3));
  // Full: the oldest waiting connection gives way, whoever holds it.
  const d = adm.decide("c", open);
  assert.equal(d.kind, "evict");
  assert.equal(d.kind === "evict" && d.victim, open[0]);
  // Full with every connection busy: refused.
  for (let i = 0; i < open.length; i++) open[i] = conn(null);
  assert.deepEqual(adm.decide("c", open), { kind: "refuse", reason: "full" });
  // A closed connection frees its client's count.
  adm.closed("a");
  assert.equal(adm.count("a"), 1);
  assert.equal(adm.decide("a", []).kind, "admit");
  adm.closed("a");
  assert.equal(adm.count("a"), 0);
});

Deno.test("Admission.rekey() moves a connection's count to the address learned later", () => {
  const adm = new Admission({ maxOpen: 10, maxPerClient: 1, workers: 1 });
  adm.opened("10.0.0.1"); // the proxy
  adm.rekey("10.0.0.1", "192.0.2.7"); // the client it speaks for
  assert.equal(adm.count("10.0.0.1"), 0);
  assert.equal(adm.decide("192.0.2.7", []).kind, "refuse");
});

Deno.test("Admission.refused() gives a log line a second at most, with the counts since the last", () => {
  const adm = new Admission({ maxOpen: 4, maxPerClient: 2, workers: 2 });
  assert.equal(
    adm.refused("client", 1000),
    "refused with 503: 1 over MaxConnectionsPerClient (1 on this worker)",
  );
  for (let t = 1001; t < 2000; t += 100) assert.equal(adm.refused("client", t), null);
  assert.equal(adm.refused("full", 1500), null);
  assert.equal(
    adm.refused("full", 2000),
    "refused with 503: 10 over MaxConnectionsPerClient (1 on this worker), 2 over " +
      "MaxSimultaneousConnections (2 on this worker, none waiting to give way)",
  );
});
