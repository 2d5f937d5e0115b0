/**
 * The open connections of a worker: an unordered list with O(1) add and delete that allocates
 * nothing per item. Each item keeps its own index (`slot`), and delete moves the last item into
 * the freed slot.
 *
 * Why not a `Set`: with a connection per request (Connection: close), a `Set` of connections
 * made every young-generation GC keep ~3.5 MB of connections that had already closed (measured
 * with `--trace-gc-nvp`, one isolate, wrk -c50: 3.4 MB survived each scavenge instead of 0.2 MB,
 * pauses of 3.7 ms instead of 0.4 ms, 7% fewer connections per second; the same `Set` with
 * add and delete in a loop of its own shows nothing). The likely cause: V8 replaces a hash table
 * that has filled with deleted entries by a new one, a retired table left in the old generation
 * still points at the young connections it held, and the scavenger treats those pointers as
 * roots until the next full collection. An array slot is simply overwritten.
 * @module
 */

/** An item that can be in one SlotList at a time. */
export interface Slotted {
  /** Index in the list, -1 when in none. Only SlotList writes it. */
  slot: number;
}

/** An unordered list of items (see the module note). */
export class SlotList<T extends Slotted> {
  readonly #items: T[] = [];

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** Add an item that is in no list. */
  add(item: T): void {
    if (item.slot !== -1) throw new RangeError("Cannot add an item that is already in a list");
    item.slot = this.#items.length;
    this.#items.push(item);
  }

  /**
   * Remove an item; nothing happens when it is not in this list.
   * @returns whether it was removed
   */
  delete(item: T): boolean {
    const i = item.slot;
    if (i < 0 || this.#items[i] !== item) return false;
    const last = this.#items.pop()!;
    if (last !== item) {
      this.#items[i] = last;
      last.slot = i;
    }
    item.slot = -1;
    return true;
  }

  /** The items now, not copied: read them at once, and add or delete none meanwhile. */
  view(): readonly T[] {
    return this.#items;
  }

  /** The items now, as a copy: callers may delete items while going through it. */
  snapshot(): T[] {
    return this.#items.slice();
  }
}
