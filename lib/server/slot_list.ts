/**
 * The open connections of a worker: an unordered list with O(1) add and delete that allocates
 * nothing per item. Each item keeps its own index (`slot`), and delete moves the last item into
 * the freed slot.
 *
 * Why not a `Set`: with a connection per request, a `Set` of connections made every
 * young-generation GC keep megabytes of closed connections alive (a retired hash table still
 * pointing at them); an array slot is simply overwritten (docs/PERFORMANCE.md).
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
