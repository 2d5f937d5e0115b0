/**
 * Runs one worker's serving code in the main isolate, so `deno run --cpu-prof` and
 * `--v8-flags=--perf-basic-prof` (with `perf record -g -p PID`) see all of it; workers are not
 * profiled by `--cpu-prof`. Usage, then drive it with wrk:
 *
 * ```
 * deno run -A --unstable-net --cpu-prof tests/bench/profile/one_worker.ts http.conf 10
 * ```
 *
 * Arguments: the config file (its Listen is used; Workers is ignored) and the seconds to run
 * before exiting (exiting writes the profile).
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseConfig } from "../../../lib/config/config.ts";
import { loadErrorTemplates } from "../../../lib/pages/error_pages.ts";
import { PROTOCOL_VERSION, type ToWorker } from "../../../lib/server/messages.ts";

const file = resolve(Deno.args[0] ?? "http.conf");
const seconds = Number(Deno.args[1] ?? 10);
const parsed = parseConfig(Deno.readTextFileSync(file), {
  file,
  baseDir: dirname(file),
  cpus: 1,
});
const config = { ...parsed, workers: 1 };
const read = (p: string) => {
  try {
    return Deno.readTextFileSync(p);
  } catch {
    return null;
  }
};
const templates = Object.fromEntries(
  loadErrorTemplates(config.errorPages, config.errorDocuments, read),
);
// The worker module posts logs and stats to its parent; here they are dropped.
(globalThis as unknown as { postMessage: (m: unknown) => void }).postMessage = () => {};
await import("../../../lib/server/worker_main.ts");
const start: ToWorker = {
  type: "start",
  version: PROTOCOL_VERSION,
  id: 1,
  config,
  port: config.listen.port,
  templates,
  sessionKey: "profile-session-key-0123456789",
  tls: null,
  acmeChallenges: {},
};
(globalThis as unknown as { onmessage: (e: { data: ToWorker }) => void }).onmessage({
  data: start,
});
setTimeout(() => Deno.exit(0), seconds * 1000);
