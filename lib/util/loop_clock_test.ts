import assert from "node:assert/strict";
import { LoopClock } from "./loop_clock.ts";

Deno.test("LoopClock: reads the source once per refresh, not per read", () => {
  let real = 1000;
  let reads = 0;
  const clock = new LoopClock(() => (reads++, real));
  assert.equal(clock.now(), 1000);
  real = 1500;
  assert.equal(clock.now(), 1000, "no refresh yet: the time of the last wakeup");
  assert.equal(clock.now(), 1000);
  assert.equal(reads, 1);
  assert.equal(clock.refresh(), 1500);
  assert.equal(clock.now(), 1500);
  assert.equal(reads, 2);
});

Deno.test("LoopClock: every refresh reads the source, even several in one turn", async () => {
  let real = 1000;
  let reads = 0;
  const clock = new LoopClock(() => (reads++, real));
  // Continuations queued together, as when several reads complete in one event-loop turn.
  const seen: number[] = [];
  await Promise.all([1, 2, 3].map(() =>
    Promise.resolve().then(() => {
      real += 10;
      seen.push(clock.refresh());
    })
  ));
  assert.deepEqual(seen, [1010, 1020, 1030]);
  assert.equal(reads, 4, "the constructor's and one per refresh");
});

Deno.test("LoopClock: now works detached, as a `now` option", () => {
  let real = 7;
  const clock = new LoopClock(() => real);
  const now = clock.now;
  real = 8;
  clock.refresh();
  assert.equal(now(), 8);
});

Deno.test("LoopClock: defaults to Date.now", () => {
  const before = Date.now();
  const clock = new LoopClock();
  assert.ok(clock.now() >= before && clock.now() <= Date.now());
});
