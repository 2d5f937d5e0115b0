import { assertEquals } from "../http/test_assert.ts";
import { Heartbeat, heartbeatPeriod } from "./heartbeat.ts";

Deno.test("heartbeatPeriod() is a quarter of the timeout", () => {
  assertEquals(heartbeatPeriod(10_000), 2500);
  assertEquals(heartbeatPeriod(500), 125);
});

Deno.test("Heartbeat pings each watched worker once, and again only after it answered", () => {
  const h = new Heartbeat(1000);
  h.watch(1);
  h.watch(2);
  assertEquals(h.pulse(0), { ping: [{ id: 1, seq: 1 }, { id: 2, seq: 2 }], stuck: [] });
  h.answered(1, 1);
  h.answered(2, 99); // not the pending ping: ignored
  assertEquals(h.pulse(250), { ping: [{ id: 1, seq: 3 }], stuck: [] });
});

Deno.test("Heartbeat calls a worker stuck once its ping is a whole timeout old, not before", () => {
  const h = new Heartbeat(1000);
  h.watch(1);
  h.watch(2);
  h.pulse(0);
  h.answered(2, 2);
  for (let t = 250; t < 1000; t += 250) {
    const p = h.pulse(t);
    assertEquals(p.stuck, [], `at ${t} ms`);
    h.answered(2, p.ping[0]!.seq);
  }
  assertEquals(h.pulse(1000).stuck, [1]);
  h.forget(1);
  assertEquals(h.pulse(1250).stuck, []);
});

Deno.test("Heartbeat.healthy() is false while a ping is pending for more than half the timeout", () => {
  const h = new Heartbeat(1000);
  h.watch(1);
  assertEquals(h.healthy(0), true);
  h.pulse(0);
  assertEquals(h.healthy(500), true);
  assertEquals(h.healthy(501), false);
  h.answered(1, 1);
  assertEquals(h.healthy(900), true);
});

Deno.test("Heartbeat judges nobody in a pulse that came late (the main thread was held up)", () => {
  const h = new Heartbeat(1000);
  h.watch(1);
  h.pulse(0);
  h.pulse(250);
  // The main thread was blocked for 5 s: the worker's answer may be queued behind this pulse.
  assertEquals(h.pulse(5250).stuck, []);
  h.answered(1, 1);
  assertEquals(h.pulse(5500).stuck, []);
  // Without an answer it is stuck a timeout after the late pulse, less one period.
  const g = new Heartbeat(1000);
  g.watch(1);
  g.pulse(0);
  g.pulse(5000);
  assertEquals(g.pulse(5250).stuck, []);
  assertEquals(g.pulse(5500).stuck, []);
  assertEquals(g.pulse(5750).stuck, [1]);
});
