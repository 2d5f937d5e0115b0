/**
 * The in-process store: sessions and counters in this worker's memory. Used when no
 * Memcached is configured, as the fallback while memcached is unreachable, and in tests.
 * Bounded: past `maxSessions` the least recently written session is dropped.
 * @module
 */

import { trimOldest } from "../util/map_trim.ts";
import {
  CounterAggregate,
  type CounterBatch,
  type CounterStore,
  type CounterTotals,
} from "./counters.ts";
import {
  isAlive,
  mergeRecord,
  type SessionRecord,
  type SessionStore,
  type SessionUpdate,
} from "./session.ts";

/** Default most sessions kept in memory per worker. */
export const MAX_MEMORY_SESSIONS = 100_000;

interface Entry {
  readonly record: SessionRecord;
  readonly ttlS: number;
}

/** Sessions and counters in a Map; never throws. */
export class MemoryStore implements SessionStore, CounterStore {
  readonly #sessions = new Map<string, Entry>();
  readonly #counts = new CounterAggregate();
  readonly #max: number;
  readonly #now: () => number;

  /**
   * @param opts.maxSessions most sessions kept (default MAX_MEMORY_SESSIONS)
   * @param opts.now clock (default Date.now)
   */
  constructor(opts: { maxSessions?: number; now?: () => number } = {}) {
    this.#max = opts.maxSessions ?? MAX_MEMORY_SESSIONS;
    this.#now = opts.now ?? Date.now;
  }

  /** Sessions held (expired ones may still count until looked up or pushed out). */
  get size(): number {
    return this.#sessions.size;
  }

  getSession(id: string): Promise<SessionRecord | null> {
    return Promise.resolve(this.#get(id));
  }

  #get(id: string): SessionRecord | null {
    const e = this.#sessions.get(id);
    if (e === undefined) return null;
    if (!isAlive(e.record.lastSeenMs, this.#now(), e.ttlS)) {
      this.#sessions.delete(id);
      return null;
    }
    return e.record;
  }

  putSessions(updates: readonly SessionUpdate[], ttlS: number): Promise<void> {
    for (const u of updates) {
      const record = mergeRecord(this.#get(u.id), u);
      this.#sessions.delete(u.id); // re-insert: Map order is then least recently written first
      this.#sessions.set(u.id, { record, ttlS });
      trimOldest(this.#sessions, this.#max);
    }
    return Promise.resolve();
  }

  addCounts(batch: CounterBatch): Promise<ReadonlyMap<string, number>> {
    return Promise.resolve(this.#counts.add(batch));
  }

  readCounts(top: number): Promise<CounterTotals> {
    return Promise.resolve(this.#counts.totals(top));
  }
}
