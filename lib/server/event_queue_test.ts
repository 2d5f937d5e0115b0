import { assertEquals } from "../http/test_assert.ts";
import { EventQueue } from "./event_queue.ts";

Deno.test("EventQueue hands events out in order, waiting for the next one", async () => {
  const q = new EventQueue();
  q.push({ action: "reopen-logs", signal: "SIGUSR1" });
  assertEquals(await q.next(), { action: "reopen-logs", signal: "SIGUSR1" });
  const later = q.next();
  q.push({ action: "ignore", signal: "SIGUSR2" });
  assertEquals(await later, { action: "ignore", signal: "SIGUSR2" });
});

Deno.test("EventQueue puts a stop before what is queued, and merges queued reloads into one", async () => {
  const q = new EventQueue();
  q.push({ action: "reload", signal: "SIGHUP" });
  q.push({ action: "reopen-logs", signal: "SIGUSR1" });
  q.push({ action: "reload", signal: "SIGHUP" });
  assertEquals((await q.next()).action, "reload");
  q.push({ action: "reload", signal: "SIGHUP" });
  assertEquals((await q.next()).action, "reopen-logs");
  q.push({ action: "stop", signal: null });
  q.push({ action: "stop", signal: "SIGTERM" });
  assertEquals(await q.next(), { action: "stop", signal: null });
});
