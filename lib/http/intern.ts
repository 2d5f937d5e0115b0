/**
 * Strings for short byte spans of request heads, shared rather than made anew: the same method,
 * target, header names and values come back request after request (a browser's User-Agent, a
 * site's paths), and building a string byte by byte costs more than checking a remembered one.
 *
 * A fixed table of slots indexed by an FNV-1a hash of the bytes; a slot holds the last string
 * seen for its hash, checked byte for byte before it is used, so a collision only means a new
 * string (an adversary can make every lookup miss, never get a wrong string). Bounded by
 * `slots * maxLength` characters.
 * @module
 */

import { latin1 } from "./chars.ts";

/** Interns latin1 spans (each byte one UTF-16 code unit, RFC 9110 §5.5). */
export class Interner {
  readonly #raw: string[];
  readonly #out: string[];
  readonly #mask: number;
  readonly #maxLength: number;
  readonly #lower: boolean;

  /**
   * @param slots table size, a power of two
   * @param maxLength longer spans are decoded every time, not kept
   * @param lower return the ASCII-lower-cased string (for field names)
   */
  constructor(slots: number, maxLength: number, lower = false) {
    if (slots <= 0 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`Interner slots must be a power of two, got ${slots}`);
    }
    this.#raw = new Array<string>(slots).fill("");
    this.#out = new Array<string>(slots).fill("");
    this.#mask = slots - 1;
    this.#maxLength = maxLength;
    this.#lower = lower;
  }

  /** The string for buf[start, end). */
  get(buf: Uint8Array, start: number, end: number): string {
    const n = end - start;
    if (n > this.#maxLength) return this.#make(buf, start, end);
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ n) & this.#mask;
    const raw = this.#raw[slot]!;
    if (raw.length === n) {
      let i = 0;
      while (i < n && raw.charCodeAt(i) === buf[start + i]) i++;
      if (i === n) return this.#out[slot]!;
    }
    const s = latin1(buf, start, end);
    const out = this.#lower ? s.toLowerCase() : s;
    this.#raw[slot] = s;
    this.#out[slot] = out;
    return out;
  }

  #make(buf: Uint8Array, start: number, end: number): string {
    const s = latin1(buf, start, end);
    return this.#lower ? s.toLowerCase() : s;
  }
}
