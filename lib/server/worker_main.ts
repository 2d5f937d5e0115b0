/**
 * Worker entry: listens on the shared port with SO_REUSEPORT (the kernel spreads connections
 * across workers), runs connections, batches logs to the main thread, drains on stop.
 * Listed in `deno compile --include`.
 * @module
 */

/// <reference lib="deno.worker" />

import { DateCache } from "../http/http_date.ts";
import { fieldLines } from "../http/response_head.ts";
import { AccessLineBuffer } from "../log/access_buffer.ts";
import { type ErrorRecord, formatErrorLine, LEVEL_RANK } from "../log/error_log.ts";
import { REPORT_EVERY_MS, STDERR_LEVEL, SyncLogFile } from "../log/log_writer.ts";
import { DEFAULT_ACCESS_LOG_FLUSH_MS } from "../config/defaults.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import { acceptStep } from "./accept_errors.ts";
import type { LogLevel } from "../config/config.ts";
import { connTransport } from "./conn_transport.ts";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionSettings,
  connectionSettings,
  type Peer,
} from "./connection.ts";
import { FramePool } from "./frame_pool.ts";
import { HeadCache } from "./head_cache.ts";
import { type FromWorker, PROTOCOL_VERSION, type ToWorker } from "./messages.ts";
import { buildPipeline, type Pipeline, type WorkerPipeline } from "./pipeline.ts";
import type { WorkerCounters } from "./request_counters.ts";
import { ResponseWriter } from "./response_writer.ts";
import type { WorkerSessions } from "./sessions.ts";
import { SlotList } from "./slot_list.ts";
import type { StatusEndpoint } from "./status_endpoint.ts";
import { LoopClock } from "../util/loop_clock.ts";

const LOG_FLUSH_BYTES = 64 * 1024;
/** Room for a batch of access lines and the line that passes LOG_FLUSH_BYTES. */
const ACCESS_BUFFER_BYTES = LOG_FLUSH_BYTES + 8 * 1024;
const SWEEP_MS = 250;
const encoder = new TextEncoder();
/** Memory a worker may keep in reusable response frames (see frame_pool.ts). */
const FRAME_POOL_BYTES = 32 * 1024 * 1024;
/** Sessions and counters are flushed, and stats reported, at most this often. */
const STATS_MS = 1000;

let id = 0;
/**
 * The worker's time as of its last wakeup: connections refresh it when a read or write
 * completes, the sweeper and the log timer when they fire. Deadlines, access-log lines, the
 * Date field, sessions, counters, the memo and the file cache read it (see loop_clock.ts).
 * Error-log lines read the real clock: they are also written from timers and store callbacks,
 * where the last wakeup may be up to a timer period old.
 */
const clock = new LoopClock();
let listener: Deno.Listener | null = null;
let draining = false;
const connections = new SlotList<Connection>();
const accessLines = new AccessLineBuffer(ACCESS_BUFFER_BYTES);
/** Error-log lines formatted here, appended as they are by the main thread. */
let errorText = "";
/** The same lines of crit records, which the main thread also copies to stderr. */
let stderrText = "";
/** Least severe level written (LogLevel); debug until the config arrives. */
let lowestRank = 0;
let requests = 0;
let bytesSent = 0;
/** AccessLogFlush 0: this worker appends its access lines itself, before each response ends. */
let accessFile: SyncLogFile | null = null;
/** Access lines dropped since writing accessFile last failed, and when that was reported. */
let accessLost = 0;
let accessReportedAt = -Infinity;
let store: ResilientStore | null = null;
let sessions: WorkerSessions | null = null;
let counters: WorkerCounters | null = null;
let status: StatusEndpoint | null = null;
const RETRY_SOON = fieldLines([["Retry-After", "1"]]);

function post(m: FromWorker): void {
  self.postMessage(m);
}

function flushLogs(): void {
  clock.refresh();
  if (accessLines.length === 0 && errorText === "") return;
  const access = accessLines.take();
  // Encoded here and moved, as the access lines are, rather than cloned as text for the main
  // thread to encode (a 404 storm logs a line per request; docs/PERFORMANCE.md).
  const errors = errorText === "" ? null : encoder.encode(errorText);
  const m: FromWorker = {
    type: "log",
    id,
    access,
    errors,
    stderrText,
    stats: { connections: connections.size, requests, bytes: bytesSent },
  };
  // The buffers move to the main thread rather than being copied.
  const moved: ArrayBuffer[] = [];
  if (access !== null) moved.push(access.buffer);
  if (errors !== null) moved.push(errors.buffer);
  self.postMessage(m, moved);
  errorText = "";
  stderrText = "";
}

/** AccessLogFlush 0: write the line just appended, now (a full disk costs the line only). */
function writeAccessNow(file: SyncLogFile): void {
  try {
    accessLines.drainTo((lines) => file.write(lines));
    if (accessLost > 0) {
      log("notice", "core", `writing ${file.path} again; ${accessLost} access line(s) lost`);
      accessLost = 0;
      accessReportedAt = -Infinity;
    }
  } catch (e) {
    accessLost++;
    const now = Date.now();
    if (now - accessReportedAt >= REPORT_EVERY_MS) {
      accessReportedAt = now;
      const why = e instanceof Error ? e.message : String(e);
      log(
        "error",
        "core",
        `cannot write ${file.path}: ${why}; its lines are lost until it can be written again`,
      );
    }
  }
}

/** Open the access log again by name (rotation, or a deleted file), when this worker writes it. */
function reopenAccess(): void {
  try {
    accessFile?.reopen();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log(
      "error",
      "core",
      `cannot reopen ${accessFile?.path}: ${why}; still writing to the old file`,
    );
  }
}

function stats() {
  return { connections: connections.size, requests, bytes: bytesSent };
}

/**
 * An error-log record. Lines are formatted here, in parallel with the other workers, and sent
 * as text in the order they happened: a 404 storm logs a line per request, and routing each
 * record through the main thread's logger cost that thread 40% of a core plus its garbage
 * collection. Lines at STDERR_LEVEL (crit) are also sent apart, for the main thread to copy to
 * stderr (journald).
 */
function log(level: LogLevel, module: string, message: string, peer?: Peer): void {
  const rank = LEVEL_RANK[level];
  if (rank < lowestRank) return;
  const rec: ErrorRecord = peer === undefined
    ? { timeMs: Date.now(), level, module, message, tid: id }
    : { timeMs: Date.now(), level, module, message, tid: id, client: `${peer.ip}:${peer.port}` };
  const line = formatErrorLine(rec, Deno.pid) + "\n";
  errorText += line;
  if (rank >= LEVEL_RANK[STDERR_LEVEL]) stderrText += line;
  if (errorText.length > LOG_FLUSH_BYTES) flushLogs();
}

function hooks(
  settings: ConnectionSettings,
  pipeline: Pipeline,
  dates: DateCache,
): ConnectionHooks {
  return {
    heads: new HeadCache(settings.serverHeader, () => dates.value()),
    clock,
    frames: new FramePool(FRAME_POOL_BYTES),
    handle: pipeline.answer,
    errorPlan: pipeline.errorPlan,
    date: () => dates.value(),
    access(rec) {
      accessLines.append(rec);
      requests++;
      bytesSent += rec.bytes;
      if (accessFile !== null) writeAccessNow(accessFile);
      else if (accessLines.length > LOG_FLUSH_BYTES) flushLogs();
    },
    logBeforeEnd: accessFile !== null,
    error: (level, message, peer?: Peer) => log(level, "core", message, peer),
    draining: () => draining,
    responded: pipeline.responded,
  };
}

async function serve(msg: Extract<ToWorker, { type: "start" }>): Promise<void> {
  id = msg.id;
  const config = msg.config;
  lowestRank = LEVEL_RANK[config.logLevel];
  let built: WorkerPipeline;
  try {
    built = buildPipeline(config, msg.templates, msg.sessionKey, { id, post, log, now: clock.now });
  } catch (e) {
    post({ type: "listen-failed", id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  ({ store, sessions, counters, status } = built);
  const { pipeline } = built;
  if (config.accessLogFlushMs === 0 && config.accessLog !== "") {
    try {
      accessFile = SyncLogFile.open(config.accessLog);
    } catch (e) {
      post({ type: "listen-failed", id, message: e instanceof Error ? e.message : String(e) });
      return;
    }
  }
  const settings = connectionSettings(config);
  const h = hooks(settings, pipeline, new DateCache(clock.now));
  const cap = Math.max(1, Math.ceil(config.maxSimultaneousConnections / config.workers));
  try {
    listener = Deno.listen({ hostname: config.listen.host, port: msg.port, reusePort: true });
  } catch (e) {
    post({ type: "listen-failed", id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  // Access lines (unless written at once) and error lines go to the main thread this often.
  setInterval(flushLogs, config.accessLogFlushMs || DEFAULT_ACCESS_LOG_FLUSH_MS);
  setInterval(sweep, SWEEP_MS);
  setInterval(tick, STATS_MS);
  post({ type: "ready", id });
  await acceptLoop(listener, (conn) => {
    const addr = conn.remoteAddr as Deno.NetAddr;
    const peer: Peer = { ip: addr.hostname, port: addr.port };
    if (connections.size >= cap) return refuse(conn, peer, settings, h, cap);
    const c = new Connection(connTransport(conn), peer, settings, h);
    connections.add(c);
    // then(done, done), not finally(done): one promise fewer per connection.
    const done = () => connections.delete(c);
    c.run().then(done, done);
  }, h);
  // The listener closed without a shutdown: die, so the pool starts a replacement.
  if (!draining) throw new Error("the listener closed unexpectedly");
}

/** Once a second: sessions and counters to the store, stats to the main thread. */
function tick(): Promise<unknown> {
  return Promise.all([sessions?.flush(), counters?.tick(stats(), sessions?.stats ?? null)]);
}

/**
 * Accept until the listener is closed for shutdown. A failed accept must not end the loop (the
 * worker would stay alive with nobody accepting): a client gone before it was taken is skipped
 * at once, other failures (out of descriptors) pause briefly (see accept_errors.ts). Each kind
 * is logged at most once a second, with how many happened since the last line.
 */
async function acceptLoop(l: Deno.Listener, onConn: (c: Deno.Conn) => void, h: ConnectionHooks) {
  let failures = 0;
  let failedAt = 0;
  // Clients gone before accept: counted, and reported once a second at most; a count left over
  // is reported by the first accept a second later, so a storm's size is never lost.
  let gone = 0;
  let goneAt = -Infinity;
  let goneWhy = "";
  const reportGone = (now: number) => {
    h.error("info", `${gone} connection(s) gone before they were accepted: ${goneWhy}`);
    goneAt = now;
    gone = 0;
  };
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await l.accept();
      failures = 0;
      if (gone > 0 && clock.now() - goneAt >= 1000) reportGone(clock.now());
    } catch (e) {
      const step = acceptStep(e, failures + 1, draining);
      if (step.kind === "stop") return;
      const now = clock.refresh();
      const why = e instanceof Error ? e.message : String(e);
      if (step.kind === "next") {
        gone++;
        goneWhy = why;
        if (now - goneAt >= 1000) reportGone(now);
        continue;
      }
      failures++; // the worker's own failure: clients gone do not count
      if (now - failedAt >= 1000) {
        failedAt = now;
        h.error("error", `accept failed (${failures} in a row): ${why}`);
      }
      if (step.ms > 0) await new Promise((r) => setTimeout(r, step.ms));
      continue;
    }
    try {
      onConn(conn);
    } catch (e) { // the client may already be gone
      h.error("debug", `connection dropped at accept: ${e instanceof Error ? e.message : e}`);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
}

/**
 * Over MaxSimultaneousConnections: answer 503 with Retry-After and close, so the client learns
 * why (nginx would leave it queued in the backlog; Apache answers nothing until a slot frees).
 */
function refuse(
  conn: Deno.Conn,
  peer: Peer,
  settings: ConnectionSettings,
  h: ConnectionHooks,
  cap: number,
): void {
  h.error(
    "warn",
    `MaxSimultaneousConnections reached (${cap} on this worker): answering 503`,
    peer,
  );
  const t = connTransport(conn);
  const writer = new ResponseWriter({
    transport: t,
    peer,
    serverHeader: settings.serverHeader,
    chunkSize: settings.readChunkSize,
    hooks: h,
    host: { responseStarted() {}, progressed() {} },
  });
  writer.begin(null, null, 1);
  const plan = h.errorPlan(503, "GET");
  writer.send({ ...plan, extra: RETRY_SOON }, false).catch(() => {}).finally(() => {
    try {
      t.close();
    } catch { /* closed */ }
  });
}

function sweep(): void {
  const now = clock.refresh();
  for (const c of connections.snapshot()) if (c.deadline <= now) c.onTimeout();
}

async function stop(graceMs: number): Promise<void> {
  draining = true;
  try {
    listener?.close();
  } catch { /* already closed */ }
  const until = Date.now() + graceMs;
  while (connections.size > 0 && Date.now() < until) {
    for (const c of connections.snapshot()) if (c.idle) c.close();
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of connections.snapshot()) c.close();
  // Flush what is pending (bounded by the store's timeouts), then close the store.
  await counters?.settle();
  await tick().catch(() => {});
  store?.close();
  flushLogs();
  accessFile?.close();
  post({ type: "stopped", id });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === "start") {
    if (m.version !== PROTOCOL_VERSION) {
      throw new Error(`Worker protocol ${m.version} is not ${PROTOCOL_VERSION}`);
    }
    void serve(m);
  } else if (m.type === "stop") {
    void stop(m.graceMs);
  } else if (m.type === "status") {
    status?.onStatus(m.seq, m.instance);
  } else if (m.type === "reopen-logs") {
    reopenAccess();
  }
};
