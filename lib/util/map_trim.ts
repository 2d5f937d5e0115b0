/**
 * Bounding a `Map` by dropping its oldest entries (insertion order), fast.
 *
 * V8 leaves a deleted entry as a hole until the map's table is rebuilt, and `keys().next()`
 * walks the holes at the front from the start each time. Taking the oldest entry one at a time
 * from a full 10 000-entry map cost 5.6 µs per eviction (measured, Deno 2.9); with 40 000
 * clients sending valid cookies to one worker, that doubled the server's CPU per request. One
 * pass that drops an eighth of the bound at once walks the holes once per batch.
 * @module
 */

/**
 * When `map` holds more than `max` entries, drop the oldest ones in one pass, down to
 * `max - floor(max / 8)` (exactly `max` for bounds below 8).
 * @param map the map, oldest entries first (re-insert an entry to make it the newest)
 * @param max most entries kept
 * @param onDrop called for each dropped entry, after it is deleted
 * @returns how many entries were dropped
 * @example
 * const m = new Map([["a", 1], ["b", 2], ["c", 3]]);
 * trimOldest(m, 2); // 1: "a" is dropped
 */
export function trimOldest<K, V>(
  map: Map<K, V>,
  max: number,
  onDrop?: (key: K, value: V) => void,
): number {
  if (map.size <= max) return 0;
  const drop = map.size - max + (max >> 3);
  let n = 0;
  for (const [k, v] of map) {
    if (n === drop) break;
    map.delete(k);
    onDrop?.(k, v);
    n++;
  }
  return n;
}
