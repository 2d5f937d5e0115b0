import assert from "node:assert/strict";
import {
  CounterAggregate,
  counterName,
  Counters,
  formatClient,
  MAX_RESOURCE_NAME,
  MAX_RESOURCES,
  mergeBatches,
  OTHER_RESOURCE,
  resourceName,
  sortTop,
  statusClass,
} from "./counters.ts";

Deno.test("resourceName() drops the query and cuts long paths", () => {
  assert.equal(resourceName("/a/b.html?x=1&y"), "/a/b.html");
  assert.equal(resourceName("/"), "/");
  assert.equal(resourceName("/" + "x".repeat(500)).length, MAX_RESOURCE_NAME);
});

Deno.test("counterName() keeps paths of successes and redirects, buckets errors by status", () => {
  assert.equal(counterName("/a.css?v=2", 200), "/a.css");
  assert.equal(counterName("/old", 301), "/old");
  assert.equal(counterName("/a", 304), "/a");
  assert.equal(counterName("/wp-login.php", 404), "(404)");
  assert.equal(counterName("/x", 503), "(503)");
  assert.equal(counterName(null, 400), "(unparsed)");
});

Deno.test("formatClient() brackets IPv6 addresses", () => {
  assert.equal(formatClient({ ip: "10.0.0.1", port: 80 }), "10.0.0.1:80");
  assert.equal(formatClient({ ip: "::1", port: 8080 }), "[::1]:8080");
});

Deno.test("statusClass() maps 100..599 to 0..4 and anything else to -1", () => {
  assert.deepEqual([100, 200, 299, 304, 404, 599].map(statusClass), [0, 1, 1, 2, 3, 4]);
  assert.deepEqual([0, 99, 600].map(statusClass), [-1, -1, -1]);
});

Deno.test("Counters.take() returns the increments since the last take, then null", () => {
  const c = new Counters();
  assert.equal(c.take(), null);
  assert.equal(c.record("/a", 200, 10, { ip: "1.1.1.1", port: 1 }, 5), 1);
  assert.equal(c.record("/a", 404, 5, { ip: "2.2.2.2", port: 2 }, 7), 2);
  c.record("/b", 304, 0, { ip: "3.3.3.3", port: 3 }, 6);
  const b = c.take()!;
  assert.equal(b.requests, 3);
  assert.equal(b.bytes, 15);
  assert.deepEqual(b.classes, [0, 1, 1, 1, 0]);
  assert.deepEqual(b.resources, [["/a", 2, "2.2.2.2:2", 7], ["/b", 1, "3.3.3.3:3", 6]]);
  assert.equal(c.take(), null);
});

Deno.test("Counters.record() returns the store's last total plus what is not flushed", () => {
  const c = new Counters();
  c.record("/a", 200, 1, null, 1);
  c.take();
  c.learn(new Map([["/a", 41]]));
  assert.equal(c.record("/a", 200, 1, null, 2), 42);
  assert.equal(c.record("/a", 200, 1, null, 3), 43);
});

Deno.test("Counters counts resources past MAX_RESOURCES under OTHER_RESOURCE", () => {
  const c = new Counters();
  for (let i = 0; i < MAX_RESOURCES + 5; i++) c.record(`/r${i}`, 200, 0, null, i);
  const b = c.take()!;
  assert.equal(b.resources.length, MAX_RESOURCES + 1);
  assert.deepEqual(b.resources.find((r) => r[0] === OTHER_RESOURCE)?.[1], 5);
});

Deno.test("Counters(maxNames) counts at most maxNames names per tally, the rest as OTHER_RESOURCE", () => {
  const c = new Counters(3);
  for (let i = 0; i < 10; i++) c.record(`/r${i}`, 200, 0, null, i);
  c.record("/r0", 200, 0, null, 11); // a name already counted keeps its own row
  const b = c.take()!;
  assert.deepEqual(b.resources.map((r) => [r[0], r[1]]), [
    ["/r0", 2],
    ["/r1", 1],
    ["/r2", 1],
    [OTHER_RESOURCE, 7],
  ]);
  // The cap is per tally: the next interval starts afresh.
  c.record("/r9", 200, 0, null, 12);
  assert.deepEqual(c.take()!.resources.map((r) => r[0]), ["/r9"]);
});

Deno.test("CounterAggregate adds batches and lists the top resources, most requested first", () => {
  const a = new CounterAggregate();
  const t1 = a.add({
    requests: 3,
    bytes: 30,
    classes: [0, 3, 0, 0, 0],
    resources: [["/a", 1, "x:1", 10], ["/b", 2, "y:1", 11]],
  });
  assert.deepEqual([...t1], [["/a", 1], ["/b", 2]]);
  a.add({ requests: 2, bytes: 5, classes: [0, 1, 0, 1, 0], resources: [["/a", 2, "z:1", 5]] });
  const t = a.totals(10);
  assert.equal(t.requests, 5);
  assert.equal(t.bytes, 35);
  assert.deepEqual(t.classes, [0, 4, 0, 1, 0]);
  assert.deepEqual(t.resources, [
    { name: "/a", count: 3, lastClient: "x:1", lastMs: 10 }, // z:1 at 5 is older
    { name: "/b", count: 2, lastClient: "y:1", lastMs: 11 },
  ]);
  assert.equal(a.totals(1).resources.length, 1);
});

Deno.test("mergeBatches() adds two batches", () => {
  const m = mergeBatches(
    { requests: 1, bytes: 2, classes: [0, 1, 0, 0, 0], resources: [["/a", 1, "c", 1]] },
    {
      requests: 2,
      bytes: 3,
      classes: [0, 0, 0, 2, 0],
      resources: [["/a", 2, "d", 2], ["/b", 1, "e", 0]],
    },
  );
  assert.equal(m.requests, 3);
  assert.equal(m.bytes, 5);
  assert.deepEqual(m.classes, [0, 1, 0, 2, 0]);
  assert.deepEqual(m.resources, [["/a", 3, "d", 2], ["/b", 1, "e", 0]]);
});

Deno.test("sortTop() orders by count, then name, and cuts", () => {
  const r = (name: string, count: number) => ({ name, count, lastClient: "", lastMs: 0 });
  assert.deepEqual(sortTop([r("/b", 1), r("/c", 5), r("/a", 1)], 2).map((x) => x.name), [
    "/c",
    "/a",
  ]);
});
