/**
 * The JavaScript cost of one request through `Connection` and the site (sessions, counters,
 * memo, access-log line), without sockets: an in-memory transport answers every read with the
 * same request at once. Prints microseconds per request; run with `--cpu-prof` to see where
 * they go. Usage:
 *
 * ```
 * deno run -A tests/bench/profile/js_only.ts http.conf /index.html [requests] [close]
 * ```
 *
 * With `close`, every request comes on a new connection with `Connection: close`.
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseConfig } from "../../../lib/config/config.ts";
import { DateCache } from "../../../lib/http/http_date.ts";
import { AccessLineBuffer } from "../../../lib/log/access_buffer.ts";
import {
  Connection,
  type ConnectionHooks,
  connectionSettings,
} from "../../../lib/server/connection.ts";
import { FramePool } from "../../../lib/server/frame_pool.ts";
import { HeadCache } from "../../../lib/server/head_cache.ts";
import { buildPipeline } from "../../../lib/server/pipeline.ts";
import { LoopClock } from "../../../lib/util/loop_clock.ts";

const file = resolve(Deno.args[0] ?? "http.conf");
const path = Deno.args[1] ?? "/";
const n = Number(Deno.args[2] ?? 300_000);
const close = Deno.args[3] === "close";
const parsed = parseConfig(Deno.readTextFileSync(file), { file, baseDir: dirname(file), cpus: 1 });
// No store traffic: the measurement is of this process alone.
const config = { ...parsed, memcached: [] };
// One clock for everything, as in a worker (worker_main.ts).
const clock = new LoopClock();
const worker = buildPipeline(config, {}, "profile-session-key-0123456789", {
  id: 1,
  tlsPort: null,
  post: () => {},
  log: () => {},
  now: clock.now,
});
const { pipeline } = worker;
const settings = { ...connectionSettings(config), maxRequestsPerConnection: 0 };
const dates = new DateCache(clock.now);
const accessLines = new AccessLineBuffer(72 * 1024);
const hooks: ConnectionHooks = {
  heads: new HeadCache(settings.serverHeader, () => dates.value()),
  clock,
  frames: new FramePool(32 << 20),
  handle: pipeline.answer,
  errorPlan: pipeline.errorPlan,
  date: () => dates.value(),
  access(rec) {
    accessLines.append(rec);
    if (accessLines.length > 65536) accessLines.take();
  },
  error() {},
  draining: () => false,
  responded: pipeline.responded,
};
const request = new TextEncoder().encode(
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${close ? "Connection: close\r\n" : ""}\r\n`,
);

/** A transport that answers `reads` reads with the request, then end of stream. */
function transport(reads: number) {
  let left = reads;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (left-- <= 0) return Promise.resolve(null);
      p.set(request);
      return Promise.resolve(request.length);
    },
    write: (p: Uint8Array) => Promise.resolve(p.length),
    close() {},
  };
}

const peer = { ip: "127.0.0.1", port: 1 };
await new Connection(transport(100), peer, settings, hooks).run(); // warm the caches and memo
await new Promise((r) => setTimeout(r, 50));
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  if (close) {
    for (let i = 0; i < n; i++) await new Connection(transport(1), peer, settings, hooks).run();
  } else {
    await new Connection(transport(n), peer, settings, hooks).run();
  }
  const us = ((performance.now() - t0) * 1000) / n;
  const line = `${us.toFixed(3)} µs per request${close ? " (a connection each)" : ""}\n`;
  Deno.stdout.writeSync(new TextEncoder().encode(line));
}
await worker.sessions?.flush();
worker.store.close();
Deno.exit(0);
