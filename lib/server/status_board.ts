/**
 * The main thread's view of its instance, built from what the workers report: worker states,
 * open connections, request rate, instance-wide counters, session counts and the store state.
 * A worker serving the status page asks for `snapshot()` over postMessage, so the page shows
 * the whole instance whichever worker serves it. It also decides when a store outage is worth
 * an error.log line: once when the first worker loses memcached, once when the last gets it
 * back. Pure apart from the clock.
 * @module
 */

import type { ErrorRecord } from "../log/error_log.ts";
import {
  type AcmeView,
  type HttpsView,
  type InstanceView,
  RESOURCE_ROWS,
  type SessionsView,
  type StoreView,
  type WorkerRow,
} from "../pages/status_page.ts";
import { CounterAggregate } from "../session/counters.ts";
import type { SessionStats } from "../session/manager.ts";
import type { FromWorker, WorkerStats } from "./messages.ts";

/**
 * Rows of counters read for the status page: the top table's RESOURCE_ROWS resources plus room
 * for the responses counted under pseudo names ("(404)"...), which it shows apart.
 */
export const TOP_RESOURCES = RESOURCE_ROWS + 40;
/** A ready worker silent for this long is shown as "silent". */
export const SILENT_AFTER_MS = 3000;
const RATE_WINDOW_MS = 10_000;

/** Fixed facts about the instance. */
export interface BoardOptions {
  readonly server: string;
  readonly hostname: string;
  readonly pid: number;
  readonly workers: number;
  readonly sessions: boolean;
  /** Memcached servers ("" = none: in-process store). */
  readonly servers: string;
  /** HTTPS as the main thread knows it (address, certificate); null when HTTPS is off. */
  readonly https?: () => Omit<HttpsView, "connections" | "requests"> | null;
  /** Automatic certificates' state (ACME On), read at each snapshot. */
  readonly acme?: () => AcmeView | null;
  readonly now?: () => number;
}

interface Slot {
  state: string;
  stats: WorkerStats;
  lastHeardMs: number;
  sessions: SessionStats | null;
}

const ZERO_STATS: WorkerStats = {
  connections: 0,
  requests: 0,
  bytes: 0,
  tlsConnections: 0,
  tlsRequests: 0,
};

/** A log line the board wants written. */
export type BoardLog = Pick<ErrorRecord, "level" | "message">;

/** Aggregates worker reports for the status page. */
export class StatusBoard {
  #o: BoardOptions;
  readonly #now: () => number;
  readonly #started: number;
  readonly #slots = new Map<number, Slot>();
  readonly #counts = new CounterAggregate();
  readonly #retired: SessionStats = emptySessions();
  readonly #samples: Array<{ t: number; requests: number; bytes: number }> = [];
  readonly #down = new Set<number>();
  /** Requests (all, over TLS) of workers that were replaced. */
  readonly #retiredRequests = { all: 0, tls: 0 };
  #store: { state: string; since: number; detail: string };

  constructor(o: BoardOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#started = this.#now();
    this.addWorkers(Array.from({ length: o.workers }, (_, i) => i + 1));
    this.#store = {
      state: o.servers === "" ? "off" : "starting",
      since: this.#started,
      detail: "",
    };
  }

  /**
   * Take in a worker message.
   * @returns a line for error.log, when the message changes the store's state
   */
  onMessage(m: FromWorker): BoardLog | null {
    const slot = "id" in m ? this.#slots.get(m.id) : undefined;
    if (slot === undefined) return null;
    const now = this.#now();
    if (m.type === "ready") {
      if (slot.sessions !== null) addSessions(this.#retired, slot.sessions); // a replacement
      this.#retiredRequests.all += slot.stats.requests;
      this.#retiredRequests.tls += slot.stats.tlsRequests;
      Object.assign(slot, { state: "ready", stats: ZERO_STATS, lastHeardMs: now, sessions: null });
    } else if (m.type === "stopped") {
      slot.state = "stopped";
    } else if (m.type === "log") {
      slot.stats = m.stats;
      slot.lastHeardMs = now;
    } else if (m.type === "stats") {
      slot.stats = m.stats;
      slot.lastHeardMs = now;
      slot.sessions = m.sessions;
      if (m.counters !== null) this.#counts.add(m.counters);
      this.#sample(now);
    } else if (m.type === "store") {
      return this.#storeEvent(m, now);
    }
    return null;
  }

  /** Mark workers (by default every one) as stopping: shutdown, or a reload retiring them. */
  stopping(ids: Iterable<number> = this.#slots.keys()): void {
    for (const id of ids) {
      const s = this.#slots.get(id);
      if (s !== undefined && s.state !== "stopped") s.state = "stopping";
    }
  }

  /** Show new workers (a reload's generation) as starting. */
  addWorkers(ids: Iterable<number>): void {
    for (const id of ids) {
      this.#slots.set(id, { state: "starting", stats: ZERO_STATS, lastHeardMs: 0, sessions: null });
    }
  }

  /**
   * Forget workers that are gone (a generation retired by a reload); their session counts stay
   * in the totals, as a replaced worker's do. Request and byte counts live in the counters.
   */
  dropWorkers(ids: Iterable<number>): void {
    for (const id of ids) {
      const s = this.#slots.get(id);
      if (s === undefined) continue;
      if (s.sessions !== null) addSessions(this.#retired, s.sessions);
      this.#slots.delete(id);
      this.#down.delete(id);
    }
  }

  /** Settings a reload may change: the session switch and the store's servers. */
  reconfigure(o: Pick<BoardOptions, "sessions" | "servers">): void {
    if (o.servers !== this.#o.servers) {
      this.#store = {
        state: o.servers === "" ? "off" : "starting",
        since: this.#now(),
        detail: "",
      };
      this.#down.clear();
    }
    this.#o = { ...this.#o, ...o };
  }

  #sample(now: number): void {
    this.#samples.push({ t: now, requests: this.#counts.requests, bytes: this.#counts.bytes });
    while (this.#samples.length > 2 && now - this.#samples[0]!.t > RATE_WINDOW_MS) {
      this.#samples.shift();
    }
  }

  #storeEvent(m: Extract<FromWorker, { type: "store" }>, now: number): BoardLog | null {
    const where = `memcached ${m.servers}`;
    if (m.state === "down") {
      const first = this.#down.size === 0;
      this.#down.add(m.id);
      if (!first) return null;
      this.#store = { state: "down", since: now, detail: m.detail };
      return {
        level: m.atStart ? "warn" : "error",
        message:
          `session store ${where} is unreachable${
            m.atStart ? " at start-up" : ""
          } (${m.detail}): ` +
          "sessions and counters use in-process memory until it answers; retrying every second",
      };
    }
    const wasDown = this.#down.delete(m.id) && this.#down.size === 0;
    if (this.#down.size > 0) return null;
    const outage = now - this.#store.since;
    if (this.#store.state !== "up") this.#store = { state: "up", since: now, detail: "" };
    if (!wasDown) return null;
    return {
      level: "notice",
      message: `session store ${where} is reachable again after ${Math.round(outage / 1000)} s: ` +
        "sessions and counters are shared again",
    };
  }

  /**
   * The instance-wide view.
   * @param restarts workers replaced so far (WorkerPool.restarts)
   */
  snapshot(restarts: number): InstanceView {
    const now = this.#now();
    const workers: WorkerRow[] = [];
    let connections = 0;
    const sessions = { ...this.#retired };
    for (const [id, s] of this.#slots) {
      const silent = s.state === "ready" && now - s.lastHeardMs > SILENT_AFTER_MS;
      workers.push({
        id,
        state: silent ? "silent" : s.state,
        ...s.stats,
        lastHeardMs: s.lastHeardMs,
      });
      connections += s.stats.connections;
      if (s.sessions !== null) addSessions(sessions, s.sessions);
    }
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    const span = first === undefined || last === undefined ? 0 : (last.t - first.t) / 1000;
    return {
      server: this.#o.server,
      hostname: this.#o.hostname,
      pid: this.#o.pid,
      startedMs: this.#started,
      nowMs: now,
      workers,
      restarts,
      connections,
      requests: this.#counts.requests,
      bytes: this.#counts.bytes,
      requestsPerSec: span > 0 ? (last!.requests - first!.requests) / span : 0,
      bytesPerSec: span > 0 ? (last!.bytes - first!.bytes) / span : 0,
      counters: this.#counts.totals(TOP_RESOURCES),
      sessions: { enabled: this.#o.sessions, ...sessions } satisfies SessionsView,
      store: this.#storeView(),
      https: this.#httpsView(),
      acme: this.#o.acme?.() ?? null,
    };
  }

  /** HTTPS, with requests and connections by scheme from the workers' own counts. */
  #httpsView(): HttpsView | null {
    const h = this.#o.https?.() ?? null;
    if (h === null) return null;
    let all = this.#retiredRequests.all, tls = this.#retiredRequests.tls;
    let open = 0, openTls = 0;
    for (const s of this.#slots.values()) {
      all += s.stats.requests;
      tls += s.stats.tlsRequests;
      open += s.stats.connections;
      openTls += s.stats.tlsConnections;
    }
    return {
      ...h,
      requests: { http: all - tls, https: tls },
      connections: { http: open - openTls, https: openTls },
    };
  }

  #storeView(): StoreView {
    const memory = this.#o.servers === "";
    return {
      kind: memory ? "memory" : "memcached",
      servers: this.#o.servers,
      state: this.#store.state,
      sinceMs: this.#store.since,
      detail: this.#store.detail,
    };
  }
}

function emptySessions(): SessionStats {
  return { issued: 0, resumed: 0, rejected: 0, renewed: 0, lookups: 0, unavailable: 0 };
}

function addSessions(into: SessionStats, s: SessionStats): void {
  into.issued += s.issued;
  into.resumed += s.resumed;
  into.rejected += s.rejected;
  into.renewed += s.renewed;
  into.lookups += s.lookups;
  into.unavailable += s.unavailable;
}
