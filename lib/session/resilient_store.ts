/**
 * The store the request path uses: memcached when it answers, the in-process store when it
 * does not, never a wait longer than the timeout and never an exception.
 *
 * ```
 *   starting --probe ok--> up --any failure--> down --probe ok (every retryMs)--> up
 *      \--probe fails-------------------------^
 * ```
 *
 * Each transition is reported once through `onChange` (the worker forwards it to the main
 * thread, which writes one error.log line per outage for the whole instance).
 * @module
 */

import {
  type CounterBatch,
  type CounterStore,
  type CounterTotals,
  PartlyCounted,
} from "./counters.ts";
import type { Lookup, SessionBackend, SessionStore, SessionUpdate } from "./session.ts";

/** A shared store that can be probed and closed (MemcachedStore). */
export interface SharedStore extends SessionStore, CounterStore {
  /** Servers, for log lines and the status page. */
  readonly description: string;
  ping(): Promise<void>;
  close(): void;
}

/** Where the shared store stands. */
export type StoreState = "starting" | "up" | "down" | "off";

/** A state change worth a log line. */
export interface StoreEvent {
  readonly state: "up" | "down";
  /** The store was never reached since this worker started. */
  readonly atStart: boolean;
  /** Why it went down ("" when up). */
  readonly detail: string;
}

/** How to build a ResilientStore. */
export interface ResilientOptions {
  /** The shared store; null = in-process only (no Memcached configured). */
  readonly primary: SharedStore | null;
  readonly fallback: SessionStore & CounterStore;
  /** Bound on any wait the request path does (MemcachedTimeout). */
  readonly timeoutMs: number;
  /** Bound on background batches (default max(1000, 4 × timeoutMs)). */
  readonly backgroundTimeoutMs?: number;
  /** Probe interval while down (default 1000). */
  readonly retryMs?: number;
  readonly onChange?: (e: StoreEvent) => void;
  /** Clock for `status.sinceMs` (default Date.now). */
  readonly now?: () => number;
  /** Timers for the bounds and the retry (default REAL_TIMERS; tests pass a manual one). */
  readonly timers?: Timers;
}

/** The timers a ResilientStore waits with: injected so that tests drive time themselves. */
export interface Timers {
  /** Call `fn` once after `ms`; returns a handle for cancel(). */
  start(fn: () => void, ms: number): unknown;
  /**
   * Forget a timer that has not fired; a handle that has fired or was cancelled, and
   * `undefined`, are ignored.
   */
  cancel(handle: unknown): void;
}

/** setTimeout and clearTimeout. */
export const REAL_TIMERS: Timers = {
  start: (fn, ms) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/** Fails with this when a bound runs out. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** `p`, or a TimeoutError after `ms` (measured with `timers`). */
export function bounded<T>(p: Promise<T>, ms: number, timers: Timers = REAL_TIMERS): Promise<T> {
  let timer: unknown;
  const t = new Promise<never>((_, reject) => {
    timer = timers.start(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => timers.cancel(timer));
}

/** The answer for a batch sent whose outcome is unknown (see addCounts). */
const NO_TOTALS: ReadonlyMap<string, number> = new Map();

/** Memcached with an in-process fallback, background retry and bounded waits. */
export class ResilientStore implements SessionBackend {
  readonly #o: ResilientOptions;
  readonly #bgMs: number;
  readonly #now: () => number;
  readonly #timers: Timers;
  #state: StoreState;
  #since: number;
  #detail = "";
  #everUp = false;
  /** The pending retry probe's handle. */
  #timer: unknown;
  #closed = false;

  constructor(o: ResilientOptions) {
    this.#o = o;
    this.#bgMs = o.backgroundTimeoutMs ?? Math.max(1000, 4 * o.timeoutMs);
    this.#now = o.now ?? Date.now;
    this.#timers = o.timers ?? REAL_TIMERS;
    this.#state = o.primary === null ? "off" : "starting";
    this.#since = this.#now();
  }

  /** The current state, since when, and why it is down. */
  get status(): { state: StoreState; sinceMs: number; detail: string; servers: string } {
    const servers = this.#o.primary?.description ?? "";
    return { state: this.#state, sinceMs: this.#since, detail: this.#detail, servers };
  }

  /** Probe the shared store now (once at start); later probes run by themselves while down. */
  start(): void {
    if (this.#o.primary !== null) void this.#probe();
  }

  /** Stop probing and close the shared store's connections. */
  close(): void {
    this.#closed = true;
    this.#timers.cancel(this.#timer);
    this.#o.primary?.close();
  }

  #usable(): boolean {
    return this.#state === "up" || this.#state === "starting";
  }

  async lookup(id: string): Promise<Lookup> {
    const p = this.#o.primary;
    if (p !== null && this.#usable()) {
      try {
        const r = await bounded(p.getSession(id), this.#o.timeoutMs, this.#timers);
        if (r !== null) return { kind: "found", record: r };
      } catch (e) {
        this.#fail(e);
      }
    }
    const local = await this.#o.fallback.getSession(id);
    if (local !== null) return { kind: "found", record: local };
    // While the shared store is away, the fallback cannot know sessions made elsewhere.
    return p !== null && !this.#usable() ? { kind: "unavailable" } : { kind: "missing" };
  }

  async putSessions(updates: readonly SessionUpdate[], ttlS: number): Promise<void> {
    if (updates.length === 0) return;
    const p = this.#o.primary;
    if (p !== null && this.#usable()) {
      try {
        return await bounded(p.putSessions(updates, ttlS), this.#bgMs, this.#timers);
      } catch (e) {
        this.#fail(e);
      }
    }
    await this.#o.fallback.putSessions(updates, ttlS);
  }

  /**
   * Add a counter batch.
   * @returns the new totals; null when the store is known to be away or refused the batch
   *   (the caller keeps it and offers it again later); no totals when the batch got no answer
   *   in time: a stalled memcached may still apply some of its increments, and sending it again
   *   would count those twice, so it is not offered again (a cluster total may come out low
   *   after a stall, never high; the instance's own counts on the status page are unaffected)
   */
  async addCounts(batch: CounterBatch): Promise<ReadonlyMap<string, number> | null> {
    const p = this.#o.primary;
    if (p === null) return await this.#o.fallback.addCounts(batch);
    if (!this.#usable()) return null;
    try {
      return await bounded(p.addCounts(batch), this.#bgMs, this.#timers);
    } catch (e) {
      this.#fail(e);
      // A store that could not be reached applied nothing: offer the batch again. One that
      // failed to answer in time, or failed once the batch was sent, may have applied part of
      // it: do not.
      return e instanceof TimeoutError || e instanceof PartlyCounted ? NO_TOTALS : null;
    }
  }

  /** Cluster-wide totals, or null (no shared store, down, or no answer within the timeout). */
  async readCounts(top: number): Promise<CounterTotals | null> {
    const p = this.#o.primary;
    if (p === null || !this.#usable()) return null;
    try {
      return await bounded(p.readCounts(top), this.#o.timeoutMs, this.#timers);
    } catch {
      return null; // a slow status read is not an outage; regular traffic will tell
    }
  }

  #fail(e: unknown): void {
    if (this.#state === "down" || this.#closed) return;
    this.#state = "down";
    this.#since = this.#now();
    this.#detail = e instanceof Error ? e.message : String(e);
    this.#o.onChange?.({ state: "down", atStart: !this.#everUp, detail: this.#detail });
    this.#schedule();
  }

  #schedule(): void {
    this.#timers.cancel(this.#timer);
    if (this.#closed) return;
    this.#timer = this.#timers.start(() => void this.#probe(), this.#o.retryMs ?? 1000);
  }

  async #probe(): Promise<void> {
    const p = this.#o.primary;
    if (p === null || this.#closed) return;
    try {
      await bounded(p.ping(), this.#o.timeoutMs, this.#timers);
    } catch (e) {
      if (this.#state === "down") this.#schedule();
      else this.#fail(e);
      return;
    }
    if (this.#state === "up" || this.#closed) return;
    this.#state = "up";
    this.#since = this.#now();
    this.#detail = "";
    this.#everUp = true;
    this.#o.onChange?.({ state: "up", atStart: false, detail: "" });
  }
}
