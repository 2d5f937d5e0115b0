/**
 * A size-bounded map that evicts the least recently used entry (Map keeps insertion order, so
 * re-inserting on read moves an entry to the back). Every cache in static/ is one of these
 * (STYLE: caches are bounded, unlike serve-handler's ETag map).
 * @module
 */

import { trimOldest } from "../util/map_trim.ts";

/**
 * A map holding at most `maxEntries` entries, least recently used evicted first (an eighth of
 * a large bound at a time, see map_trim.ts).
 */
export class BoundedCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  /**
   * @param maxEntries the most entries kept (0 keeps nothing)
   * @throws {RangeError} when maxEntries is negative or not an integer
   */
  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`Cannot make a cache of ${maxEntries} entries: expected 0 or more`);
    }
    this.#max = maxEntries;
  }

  /** The value for `key`, marking it most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** Store a value, evicting the least recently used entries beyond the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#max === 0) return;
    this.#map.set(key, value);
    trimOldest(this.#map, this.#max);
  }

  /** Remove an entry. */
  delete(key: K): void {
    this.#map.delete(key);
  }

  /** Entries held. */
  get size(): number {
    return this.#map.size;
  }
}
