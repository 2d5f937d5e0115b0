/**
 * Worker entry: listens on the shared port with SO_REUSEPORT (the kernel spreads connections
 * across workers), and on the HTTPS port when TLS is on (tls_listener.ts), runs connections,
 * batches logs to the main thread, drains on stop.
 * Listed in `deno compile --include`.
 * @module
 */

/// <reference lib="deno.worker" />

import { DateCache } from "../http/http_date.ts";
import { fieldLines } from "../http/response_head.ts";
import { AccessLineBuffer } from "../log/access_buffer.ts";
import { type ErrorRecord, formatErrorLine, LEVEL_RANK } from "../log/error_log.ts";
import { REPORT_EVERY_MS, STDERR_LEVEL, SyncLogFile } from "../log/log_writer.ts";
import { StderrCopy } from "../log/stderr_copy.ts";
import { DEFAULT_ACCESS_LOG_FLUSH_MS } from "../config/defaults.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import { Admission } from "./admission.ts";
import { type AcceptHost, acceptLoop } from "./accept_loop.ts";
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
import { type FromWorker, PROTOCOL_VERSION, type StopReason, type ToWorker } from "./messages.ts";
import { buildPipeline, type Pipeline, type WorkerPipeline } from "./pipeline.ts";
import type { WorkerCounters } from "./request_counters.ts";
import { ResponseWriter } from "./response_writer.ts";
import type { WorkerSessions } from "./sessions.ts";
import { SlotList } from "./slot_list.ts";
import type { StatusEndpoint } from "./status_endpoint.ts";
import type { AcmeChallenges } from "./acme_challenge.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { StalledHandshakes, TlsEndpoint, TlsHandshake } from "./tls_listener.ts";
import type { TlsMaterial } from "./tls_material.ts";

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
let tls: TlsEndpoint | null = null;
let stalled: StalledHandshakes | null = null;
/** The accept loop; settles once the listener is closed. */
let accepting: Promise<void> | null = null;
let draining = false;
let stopReason: StopReason = "shutdown";
/** Open connections, and TLS connections still in their handshake (both swept on deadline). */
const connections = new SlotList<Connection | TlsHandshake>();
const accessLines = new AccessLineBuffer(ACCESS_BUFFER_BYTES);
/** Error-log lines formatted here, appended as they are by the main thread. */
let errorText = "";
/** The same lines at STDERR_LEVEL or above (bounded), which the main thread copies to stderr. */
const stderrCopy = new StderrCopy();
/** Least severe level written (LogLevel); debug until the config arrives. */
let lowestRank = 0;
let requests = 0;
let bytesSent = 0;
let tlsConnections = 0;
let tlsRequests = 0;
/** AccessLogFlush 0: this worker appends its access lines itself, before each response ends. */
let accessFile: SyncLogFile | null = null;
/** Access lines dropped since writing accessFile last failed, and when that was reported. */
let accessLost = 0;
let accessReportedAt = -Infinity;
let store: ResilientStore | null = null;
let sessions: WorkerSessions | null = null;
let counters: WorkerCounters | null = null;
let status: StatusEndpoint | null = null;
let acme: AcmeChallenges | null = null;
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
  const stderrText = stderrCopy.take();
  const m: FromWorker = {
    type: "log",
    id,
    access,
    errors,
    stderrText,
    stats: stats(),
  };
  // The buffers move to the main thread rather than being copied.
  const moved: ArrayBuffer[] = [];
  if (access !== null) moved.push(access.buffer);
  if (errors !== null) moved.push(errors.buffer);
  self.postMessage(m, moved);
  errorText = "";
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
  return { connections: connections.size, requests, bytes: bytesSent, tlsConnections, tlsRequests };
}

/**
 * An error-log record. Lines are formatted here, in parallel with the other workers, and sent
 * as text in the order they happened: a 404 storm logs a line per request, and routing each
 * record through the main thread's logger cost that thread 40% of a core plus its garbage
 * collection. Lines at STDERR_LEVEL (warn) and above are also sent apart, for the main thread to
 * copy to stderr (journald).
 */
function log(level: LogLevel, module: string, message: string, peer?: Peer): void {
  const rank = LEVEL_RANK[level];
  if (rank < lowestRank) return;
  const rec: ErrorRecord = peer === undefined
    ? { timeMs: Date.now(), level, module, message, tid: id }
    : { timeMs: Date.now(), level, module, message, tid: id, client: `${peer.ip}:${peer.port}` };
  const line = formatErrorLine(rec, Deno.pid) + "\n";
  errorText += line;
  if (rank >= LEVEL_RANK[STDERR_LEVEL]) stderrCopy.add(line);
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
      if (rec.scheme === "https") tlsRequests++;
      bytesSent += rec.bytes;
      if (accessFile !== null) writeAccessNow(accessFile);
      else if (accessLines.length > LOG_FLUSH_BYTES) flushLogs();
    },
    logBeforeEnd: accessFile !== null,
    error: (level, message, peer?: Peer) => log(level, "core", message, peer),
    draining: () => draining,
    closeIdle: () => draining && stopReason === "shutdown",
    responded: pipeline.responded,
  };
}

async function serve(msg: Extract<ToWorker, { type: "start" }>): Promise<void> {
  id = msg.id;
  const config = msg.config;
  lowestRank = LEVEL_RANK[config.logLevel];
  let built: WorkerPipeline;
  try {
    built = buildPipeline(
      config,
      msg.templates,
      msg.sessionKey,
      { id, tlsPort: msg.tls?.port ?? null, post, log, now: clock.now },
      msg.acmeChallenges,
    );
  } catch (e) {
    post({ type: "listen-failed", id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  ({ store, sessions, counters, status, acme } = built);
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
  const admission = new Admission({
    maxOpen: config.maxSimultaneousConnections,
    maxPerClient: config.maxConnectionsPerClient,
    workers: config.workers,
  });
  const acceptHost: AcceptHost = {
    clock,
    draining: () => draining,
    error: (l, m) => h.error(l, m),
  };
  try {
    listener = Deno.listen({ hostname: config.listen.host, port: msg.port, reusePort: true });
  } catch (e) {
    post({ type: "listen-failed", id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (msg.tls !== null && config.tlsListen !== null) {
    const tlsSettings: ConnectionSettings = { ...settings, scheme: "https" };
    stalled = new StalledHandshakes(msg.tls.port);
    tls = new TlsEndpoint({
      hostname: config.tlsListen.host,
      port: msg.tls.port,
      serve: (l) => acceptLoop(l, (conn) => acceptTls(conn, tlsSettings, h, admission), acceptHost),
    });
    if (msg.tls.material !== null && !serveTls(msg.tls.material, true)) return;
  }
  // Access lines (unless written at once) and error lines go to the main thread this often.
  setInterval(flushLogs, config.accessLogFlushMs || DEFAULT_ACCESS_LOG_FLUSH_MS);
  setInterval(sweep, SWEEP_MS);
  setInterval(tick, STATS_MS);
  post({ type: "ready", id });
  accepting = acceptLoop(listener, (conn) => {
    const addr = conn.remoteAddr as Deno.NetAddr;
    const peer: Peer = { ip: addr.hostname, port: addr.port };
    // Per-client and per-worker limits; a full worker closes the connection waiting longest.
    const d = admission.decide(peer.ip, connections.view());
    if (d.kind === "refuse") {
      return refuse(conn, peer, settings, h, admission.refused(d.reason, clock.now()));
    }
    if (d.kind === "evict") d.victim.evict();
    admission.opened(peer.ip);
    run(new Connection(connTransport(conn), peer, settings, h), () => admission.closed(peer.ip));
  }, acceptHost);
  await accepting;
  // The listener closed without a shutdown: die, so the pool starts a replacement.
  if (!draining) throw new Error("the listener closed unexpectedly");
}

/** Run a connection until it ends, in the list of open ones; `then` runs after it. */
function run(c: Connection, then: (() => void) | null): void {
  connections.add(c);
  // then(done, done), not finally(done): one promise fewer per connection (~90 ns measured).
  const done = () => {
    connections.delete(c);
    then?.();
  };
  c.run().then(done, done);
}

/**
 * Open (or swap to) the HTTPS listener with a pair, and tell the main thread how it went.
 * @param atStart a refusal at start fails the start (the main thread validated the pair)
 * @returns false when it failed at start
 */
function serveTls(m: TlsMaterial, atStart: boolean): boolean {
  const opened = tls!.open(m, (e) => {
    // The HTTPS listener closed by itself: die, so the pool starts a replacement.
    if (!draining) {
      setTimeout(() => {
        throw e;
      });
    }
  });
  if (opened.error !== null && atStart) {
    post({ type: "listen-failed", id, message: `HTTPS: ${opened.error}` });
    return false;
  }
  post({ type: "tls", id, ...opened });
  return true;
}

/**
 * A TLS connection: its handshake first (bounded by HeaderTimeout, in the list of open
 * connections, where a full worker may close it as it would a slow head), then the same
 * HTTP/1.1 engine as plain connections. Refused by admission it is closed at once: a 503 would
 * need a handshake the limits exist to avoid.
 */
function acceptTls(
  conn: Deno.TlsConn,
  settings: ConnectionSettings,
  h: ConnectionHooks,
  admission: Admission,
): void {
  const addr = conn.remoteAddr as Deno.NetAddr;
  const peer: Peer = { ip: addr.hostname, port: addr.port };
  const d = admission.decide(peer.ip, connections.view());
  if (d.kind === "refuse") {
    const note = admission.refused(d.reason, clock.now());
    if (note !== null) h.error("warn", `${note} (closed before its TLS handshake)`, peer);
    conn.close();
    return;
  }
  if (d.kind === "evict") d.victim.evict();
  admission.opened(peer.ip);
  const note = (message: string) => log("debug", "tls", message, peer);
  const now = clock.now();
  const hs = new TlsHandshake(conn, now, now + settings.headerTimeoutMs, note, stalled!);
  connections.add(hs);
  tlsConnections++;
  const ended = () => {
    tlsConnections--;
    admission.closed(peer.ip);
  };
  hs.run().then((ready) => {
    connections.delete(hs);
    if (!ready) return ended();
    run(new Connection(connTransport(conn), peer, settings, h), ended);
  });
}

/** Once a second: sessions and counters to the store, stats to the main thread. */
function tick(): Promise<unknown> {
  return Promise.all([sessions?.flush(), counters?.tick(stats(), sessions?.stats ?? null)]);
}

/**
/**
 * Over MaxConnectionsPerClient, or MaxSimultaneousConnections with no connection to close
 * instead: answer 503 with Retry-After and close, so the client learns why (nginx would leave
 * it queued in the backlog; Apache answers nothing until a slot frees).
 * @param note the error.log line, when one is due (admission.ts writes one a second at most)
 */
function refuse(
  conn: Deno.Conn,
  peer: Peer,
  settings: ConnectionSettings,
  h: ConnectionHooks,
  note: string | null,
): void {
  if (note !== null) h.error("warn", note, peer);
  const t = connTransport(conn);
  const writer = new ResponseWriter({
    transport: t,
    peer,
    serverHeader: settings.serverHeader,
    chunkSize: settings.readChunkSize,
    logScheme: settings.logScheme ? settings.scheme : null,
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
  stalled?.flush();
}

/**
 * Stop accepting, say so, and finish within graceMs (see the "stop" message): on shutdown idle
 * connections close at once; on reload they wait for their next request or their timeout.
 */
async function stop(graceMs: number, reason: StopReason): Promise<void> {
  stopReason = reason;
  if (draining) return; // a shutdown while a reload retires this worker: idle ones close now
  draining = true;
  try {
    listener?.close();
  } catch { /* already closed */ }
  tls?.close();
  // Once the accept loop has ended, the listening socket is gone from the SO_REUSEPORT group:
  // from then on every new connection goes to the newer generation.
  await accepting?.catch(() => {});
  post({ type: "closed", id });
  const until = Date.now() + graceMs;
  while (connections.size > 0 && Date.now() < until) {
    if (stopReason === "shutdown") {
      for (const c of connections.snapshot()) if (c.idle) c.close();
    }
    stalled?.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of connections.snapshot()) c.close();
  stalled?.flush();
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
  } else if (m.type === "ping") {
    post({ type: "pong", id, seq: m.seq });
  } else if (m.type === "stop") {
    void stop(m.graceMs, m.reason);
  } else if (m.type === "status") {
    status?.onStatus(m.seq, m.instance);
  } else if (m.type === "tls") {
    if (tls !== null && !draining) serveTls(m.material, false);
  } else if (m.type === "acme-challenge") {
    acme?.set(m.token, m.keyAuthorization);
    post({ type: "acme-challenge-ack", id, seq: m.seq });
  } else if (m.type === "reopen-logs") {
    reopenAccess();
  }
};
