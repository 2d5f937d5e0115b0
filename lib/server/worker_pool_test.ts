import { assertEquals } from "../http/test_assert.ts";
import assert from "node:assert/strict";
import type { ToWorker } from "./messages.ts";
import { WorkerPool } from "./worker_pool.ts";

Deno.test("WorkerPool replaces a worker that dies, keeping the others and the main thread up", async () => {
  const flag = Deno.makeTempFileSync();
  Deno.removeSync(flag);
  const events: string[] = [];
  const ready: number[] = [];
  const pool = new WorkerPool({
    size: 2,
    workerUrl: new URL("../../tests/fixtures/crashing_worker.ts", import.meta.url),
    startMessage: (id) => ({ type: "start", id, config: { flag } }) as unknown as ToWorker,
    onMessage: (m) => {
      if (m.type === "ready") ready.push(m.id);
    },
    onEvent: (level, message) => events.push(`${level}: ${message}`),
  });
  await pool.start();
  assertEquals(pool.ready, 2);
  const until = Date.now() + 5000;
  while (pool.restarts === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  while (pool.ready < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assertEquals(pool.restarts, 1);
  assertEquals(pool.ready, 2);
  // The replacement of worker 1 reported ready. (The crashed instance's own "ready" may be
  // dropped: its error event can overtake that message, and the pool terminates it then.)
  assertEquals(ready.filter((id) => id === 2), [2]);
  assertEquals(ready.includes(1), true);
  assertEquals(events.length, 1);
  assert.match(
    events[0]!,
    /^crit: worker 1 died \(.*simulated worker crash.*\); starting a replacement in \d+ ms$/,
  );
  await pool.stop(100);
  Deno.removeSync(flag);
});
