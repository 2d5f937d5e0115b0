/**
 * A worker's sessions, counters and status page, wrapped around the static responder.
 *
 * Per request: the status route (before the responder), one `cookieFor` call whose result
 * (usually synchronous) becomes a Set-Cookie field, one `Counters.record` after the response.
 * Once a second (`tick`): the session batch goes to the store, the counter batch to the main
 * thread (instance view) and to the store (cluster-wide `incr`). The status page asks the main
 * thread for the instance view and the store for the cluster counters, each with a bound.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { LogLevel } from "../config/config.ts";
import { renderStatusHtml } from "../pages/status_html.ts";
import {
  type InstanceView,
  METRICS_CONTENT_TYPE,
  renderStatusJson,
  renderStatusMetrics,
  type StatusSnapshot,
  type StatusView,
  statusView,
} from "../pages/status_page.ts";
import { type CounterBatch, counterName, Counters, mergeBatches } from "../session/counters.ts";
import { SessionManager } from "../session/manager.ts";
import { MemcachedStore } from "../session/memcached_store.ts";
import { MemoryStore } from "../session/memory_store.ts";
import { ResilientStore } from "../session/resilient_store.ts";
import { type ResponsePlan, withoutBody } from "../static/plan.ts";
import type { ResponseFields } from "../http/response_head.ts";
import type { Handler, Peer, ServerRequest } from "./connection.ts";
import { concatBytes } from "../util/bytes.ts";
import { IpAllowList } from "./ip_allow.ts";
import type { FromWorker, WorkerStats } from "./messages.ts";
import type { HandlerWrap, Site } from "./site.ts";
import { TOP_RESOURCES } from "./status_board.ts";

/** How long a status page waits for the main thread's instance view. */
export const STATUS_MAIN_TIMEOUT_MS = 1000;

/** What the features need from their worker. */
export interface FeatureHost {
  readonly id: number;
  post(m: FromWorker): void;
  log(level: LogLevel, module: string, message: string, peer?: Peer): void;
  /** The clock for session cookies and counters (default Date.now; a worker's LoopClock). */
  readonly now?: () => number;
}

const encoder = new TextEncoder();

/** Sessions, counters and the status page of one worker. */
export class WorkerFeatures {
  readonly #host: FeatureHost;
  readonly #now: () => number;
  readonly #store: ResilientStore;
  readonly #sessions: SessionManager | null;
  readonly #counters = new Counters();
  readonly #debug: boolean;
  readonly #statusPath: string | null;
  readonly #allow: IpAllowList;
  readonly #waiting = new Map<number, (v: InstanceView | null) => void>();
  #seq = 0;
  #owed: CounterBatch | null = null;
  #flushing: Promise<void> | null = null;

  constructor(config: Config, sessionKey: string, host: FeatureHost) {
    this.#host = host;
    this.#now = host.now ?? Date.now;
    const primary = config.memcached.length === 0
      ? null
      : new MemcachedStore({ servers: config.memcached, timeoutMs: config.memcachedTimeoutMs });
    this.#store = new ResilientStore({
      primary,
      fallback: new MemoryStore(),
      timeoutMs: config.memcachedTimeoutMs,
      onChange: (e) =>
        host.post({ type: "store", id: host.id, ...e, servers: primary?.description ?? "" }),
    });
    this.#store.start();
    this.#sessions = config.sessions
      ? new SessionManager(
        {
          cookieName: config.sessionCookie,
          ttlS: config.sessionTtlS,
          secure: config.sessionSecure,
          secret: sessionKey,
        },
        this.#store,
        this.#now,
      )
      : null;
    this.#debug = config.logLevel === "debug";
    this.#statusPath = config.statusEnabled ? config.statusPath : null;
    this.#allow = new IpAllowList(config.statusAllow);
  }

  /** Wraps the responder (pass to buildSite). */
  readonly wrap: HandlerWrap = (next, errorPlan) => (req) => {
    if (this.#statusPath !== null && req.target.startsWith(this.#statusPath)) {
      const view = statusView(req.target, this.#statusPath);
      if (view !== null) return this.#status(req, view, errorPlan);
    }
    return this.#sessions === null ? next(req) : this.#withCookie(req, next);
  };

  #withCookie(req: ServerRequest, next: Handler): ResponsePlan | Promise<ResponsePlan> {
    // Every request without a valid cookie gets a new session, even on a connection that was
    // given one already: behind a reverse proxy one connection carries many users.
    let cookie: Uint8Array | null | Promise<Uint8Array | null> = null;
    try {
      cookie = this.#sessions!.setCookieLine(req.headers, req.peer);
    } catch (e) { // never a failed response because of sessions
      this.#host.log("error", "session", `session check failed: ${describe(e)}`, req.peer);
    }
    // The usual cases stay synchronous: a returning client adds nothing, a new one a line.
    if (cookie === null) return next(req);
    if (cookie instanceof Uint8Array) return withCookieLine(next(req), cookie);
    return Promise.all([next(req), cookie]).then(([plan, line]) =>
      line === null ? plan : withSetCookie(plan, line)
    );
  }

  async #status(
    req: ServerRequest,
    view: StatusView,
    errorPlan: Site["errorPlan"],
  ): Promise<ResponsePlan> {
    if (!this.#allow.allows(req.peer.ip)) {
      this.#host.log("info", "status", `status page refused to ${req.peer.ip}`, req.peer);
      return errorPlan(403, req.method);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      const p = errorPlan(405, req.method);
      return { ...p, fields: [...p.fields, ["Allow", "GET, HEAD"]] };
    }
    const snap = await this.snapshot();
    const [type, text] = view.kind === "json"
      ? ["application/json; charset=utf-8", renderStatusJson(snap)]
      : view.kind === "metrics"
      ? [METRICS_CONTENT_TYPE, renderStatusMetrics(snap)]
      : ["text/html; charset=utf-8", renderStatusHtml(snap, view.refreshS, this.#statusPath!)];
    const data = encoder.encode(text);
    const plan: ResponsePlan = {
      status: 200,
      fields: [
        ["Content-Type", type],
        ["Content-Length", String(data.length)],
        ["Cache-Control", "no-store"],
        ["X-Content-Type-Options", "nosniff"],
      ],
      body: { kind: "bytes", data },
    };
    return req.method === "HEAD" ? withoutBody(plan) : plan;
  }

  /** The instance view (from the main thread) and cluster counters (from the store). */
  async snapshot(): Promise<StatusSnapshot> {
    const [instance, cluster] = await Promise.all([
      this.#askMain(),
      this.#store.readCounts(TOP_RESOURCES),
    ]);
    return { generatedMs: Date.now(), servedBy: this.#host.id, instance, cluster };
  }

  #askMain(): Promise<InstanceView | null> {
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        resolve(null);
      }, STATUS_MAIN_TIMEOUT_MS);
      this.#waiting.set(seq, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.#host.post({ type: "status-request", id: this.#host.id, seq });
    });
  }

  /** The main thread's answer to a status request. */
  onStatus(seq: number, instance: InstanceView): void {
    const w = this.#waiting.get(seq);
    this.#waiting.delete(seq);
    w?.(instance);
  }

  /**
   * Count a response (ConnectionHooks.responded); at LogLevel debug, log the original
   * project's console line `resource | client ip | client port | count`.
   */
  responded(req: ServerRequest | null, status: number, bytes: number): void {
    const name = counterName(req === null ? null : req.target, status);
    const n = this.#counters.record(name, status, bytes, req?.peer ?? null, this.#now());
    if (this.#debug) {
      const ip = req === null ? "-" : req.peer.ip;
      const port = req === null ? "-" : String(req.peer.port);
      this.#host.log("debug", "counter", `${name} | ${ip} | ${port} | ${n}`);
    }
  }

  /**
   * Once a second: report to the main thread, then flush sessions and counters to the store
   * (a flush still waiting on the store is not doubled; its batch waits for the next one).
   */
  tick(stats: WorkerStats): Promise<void> {
    const batch = this.#counters.take();
    this.#host.post({
      type: "stats",
      id: this.#host.id,
      stats,
      counters: batch,
      sessions: this.#sessions === null ? null : { ...this.#sessions.stats },
    });
    if (batch !== null) this.#owed = this.#owed === null ? batch : mergeBatches(this.#owed, batch);
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const counts = this.#owed;
    this.#owed = null;
    const [, totals] = await Promise.all([
      this.#sessions?.flush(),
      counts === null ? null : this.#store.addCounts(counts),
    ]);
    if (counts !== null && totals === null) { // store away: offer the counts again later
      this.#owed = this.#owed === null ? counts : mergeBatches(counts, this.#owed);
    }
    if (totals) this.#counters.learn(totals);
  }

  /** Flush what is pending (bounded by the store's timeouts) and close the store. */
  async stop(stats: WorkerStats): Promise<void> {
    await this.#flushing?.catch(() => {});
    await this.tick(stats).catch(() => {});
    this.#store.close();
  }
}

function withCookieLine(
  planned: ResponsePlan | Promise<ResponsePlan>,
  line: Uint8Array,
): ResponsePlan | Promise<ResponsePlan> {
  return planned instanceof Promise
    ? planned.then((plan) => withSetCookie(plan, line))
    : withSetCookie(planned, line);
}

/** Whether fields say Cache-Control: public, remembered per fields array (memoized plans). */
const publicFields = new WeakMap<ResponseFields, boolean>();

function isPublic(fields: ResponseFields): boolean {
  let p = publicFields.get(fields);
  if (p === undefined) {
    p = fields.some(([name, v]) =>
      name.toLowerCase() === "cache-control" && /(^|,)\s*public\s*(,|$)/i.test(v)
    );
    publicFields.set(fields, p);
  }
  return p;
}

/**
 * Add a Set-Cookie line (from SessionManager.setCookieLine) to a plan, after its own fields (the
 * plan's fields may be a memoized array whose bytes are serialized once). A response that
 * shared caches may store (Cache-Control: public) never carries a client's cookie; the client
 * gets one with its next page.
 */
export function withSetCookie(plan: ResponsePlan, line: Uint8Array): ResponsePlan {
  if (isPublic(plan.fields)) return plan;
  const lines = plan.extraLines === undefined ? line : concatBytes([plan.extraLines, line]);
  return { ...plan, extraLines: lines };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
