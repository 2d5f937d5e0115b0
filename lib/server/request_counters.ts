/**
 * A worker's request counters: each response is counted per resource, status class and bytes;
 * once a second the batch goes to the main thread (the instance's status page) and to the
 * shared store (cluster-wide `incr`), and a batch the store could not take waits for the next.
 * @module
 */

import { type CounterBatch, counterName, Counters, mergeBatches } from "../session/counters.ts";
import type { SessionStats } from "../session/manager.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import { resolveTarget } from "../static/url_path.ts";
import type { FromWorker, WorkerStats } from "./messages.ts";
import type { ServerRequest } from "./request.ts";
import type { ErrorLog } from "./sessions.ts";

/** Counts one worker's responses. */
export class WorkerCounters {
  readonly #id: number;
  readonly #store: ResilientStore;
  readonly #post: (m: FromWorker) => void;
  readonly #log: ErrorLog | null;
  readonly #now: () => number;
  readonly #counters: Counters;
  #owed: CounterBatch | null = null;
  #flushing: Promise<void> | null = null;

  /**
   * @param log at LogLevel debug, where the original project's per-request line goes; null
   *   otherwise
   * @param maxNames resources counted by name per flush (MaxCounterNames)
   */
  constructor(
    o: {
      readonly id: number;
      readonly store: ResilientStore;
      readonly post: (m: FromWorker) => void;
      readonly log: ErrorLog | null;
      readonly now: () => number;
      readonly maxNames?: number;
    },
  ) {
    this.#counters = new Counters(o.maxNames);
    this.#id = o.id;
    this.#store = o.store;
    this.#post = o.post;
    this.#log = o.log;
    this.#now = o.now;
  }

  /**
   * Count a response; at LogLevel debug, log the original project's console line
   * `resource | client ip | client port | count`.
   */
  responded(req: ServerRequest | null, status: number, bytes: number): void {
    const name = counterName(req === null ? null : resourceOf(req), status);
    const n = this.#counters.record(name, status, bytes, req?.peer ?? null, this.#now());
    if (this.#log !== null) {
      const ip = req === null ? "-" : req.peer.ip;
      const port = req === null ? "-" : String(req.peer.port);
      this.#log("debug", "counter", `${name} | ${ip} | ${port} | ${n}`);
    }
  }

  /**
   * Once a second: report to the main thread, then add the counts to the store (a flush still
   * waiting on the store is not doubled; its batch waits for the next one).
   */
  tick(stats: WorkerStats, sessions: SessionStats | null): Promise<void> {
    const batch = this.#counters.take();
    this.#post({
      type: "stats",
      id: this.#id,
      stats,
      counters: batch,
      sessions: sessions === null ? null : { ...sessions },
    });
    if (batch !== null) this.#owed = this.#owed === null ? batch : mergeBatches(this.#owed, batch);
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  /** Wait for a flush under way. */
  async settle(): Promise<void> {
    await this.#flushing?.catch(() => {});
  }

  async #flush(): Promise<void> {
    const counts = this.#owed;
    if (counts === null) return;
    this.#owed = null;
    const totals = await this.#store.addCounts(counts);
    if (totals === null) { // store away: offer the counts again later
      this.#owed = this.#owed === null ? counts : mergeBatches(counts, this.#owed);
    } else {
      this.#counters.learn(totals);
    }
  }
}

/**
 * What a request counts under: the decoded path its target resolves to (the path the responder
 * served), so the query strings, absolute-form hosts, percent-encodings and repeated slashes of
 * one file share its counter and a client cannot make up new names for it. OPTIONS is answered
 * for paths that do not exist too: it counts as one bucket.
 * @example
 * resourceOf({ method: "GET", target: "http://x/%68ello.txt?v=2", ... }); // "/hello.txt"
 */
export function resourceOf(req: { readonly method: string; readonly target: string }): string {
  if (req.method === "OPTIONS") return "(OPTIONS)";
  const t = req.target;
  // Origin-form with nothing to decode or merge is already its own name (most requests): one
  // pass up to the query, as three string searches cost a keep-alive request ~0.1 µs more.
  let end = t.length;
  let plain = t.charCodeAt(0) === 0x2f;
  for (let i = 1; plain && i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x3f) end = i; // "?": the query starts
    else if (c === 0x25 || (c === 0x2f && t.charCodeAt(i - 1) === 0x2f)) plain = false;
  }
  if (plain) return end === t.length ? t : t.slice(0, end);
  const r = resolveTarget(t);
  if (r.kind === "asterisk") return "*";
  if (r.kind === "reject") return "(rejected)"; // not served: its status is an error anyway
  return r.trailingSlash && r.path !== "/" ? r.path + "/" : r.path;
}
