/**
 * A connection's input: bytes read from the transport into `buf`, unconsumed ones in
 * `buf[start..end)`. Grows for long heads and bodies (up to a bound), compacts when it can, and
 * goes back to a small buffer between requests. Buffers of closed connections are reused by new
 * ones: allocating a typed array is dear in Deno, and a client that opens a connection per
 * request would pay it every time.
 * @module
 */

import type { LoopClock } from "../util/loop_clock.ts";
import type { InputBuffer } from "./body_reader.ts";
import type { Transport } from "./transport.ts";

/** Read buffer of a new or idle connection. */
export const INITIAL_BUFFER = 2048;
/** Spare buffers kept (bounded: a burst of connections leaves at most this many behind). */
const MAX_SPARES = 1024;
const spares: Uint8Array[] = [];
const NO_BYTES = new Uint8Array(0);

/** The bytes read on one connection and not used yet. */
export class ReadBuffer implements InputBuffer {
  buf: Uint8Array = spares.pop() ?? new Uint8Array(INITIAL_BUFFER);
  start = 0;
  end = 0;
  readonly #t: Transport;
  readonly #clock: LoopClock;
  readonly #max: number;

  /**
   * @param maxBytes the largest the buffer grows (a head must fit; a body streams through)
   * @param clock refreshed when a read completes
   */
  constructor(t: Transport, clock: LoopClock, maxBytes: number) {
    this.#t = t;
    this.#clock = clock;
    this.#max = maxBytes;
  }

  /** Nothing is buffered. */
  get empty(): boolean {
    return this.start === this.end;
  }

  /** Read more bytes, compacting or growing first; false at the end of the stream. */
  async fill(): Promise<boolean> {
    if (this.end === this.buf.length) this.makeRoom();
    return this.received(await this.read());
  }

  /**
   * Start a read into the free space at the end (there must be some): the transport's own
   * promise, so a caller that awaits it directly makes no promise of its own. Then received().
   */
  read(): Promise<number | null> {
    // The whole buffer itself when it is empty: no view to make.
    return this.#t.read(this.end === 0 ? this.buf : this.buf.subarray(this.end));
  }

  /** Count the bytes a read() brought; false at the end of the stream. */
  received(n: number | null): boolean {
    this.#clock.refresh();
    if (n === null || n === 0) return false;
    this.end += n;
    return true;
  }

  /** Make room at the end: drop what was used, move the rest to the front, or grow. */
  makeRoom(): void {
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    } else if (this.buf.length < this.#max) {
      const next = new Uint8Array(Math.min(this.buf.length * 2, this.#max));
      next.set(this.buf.subarray(0, this.end));
      this.buf = next;
    }
  }

  /**
   * Between requests: when everything read was used, read the next request from the front in
   * one read, and let an idle connection hold a small buffer only.
   */
  rewind(): void {
    if (this.start !== this.end) return;
    this.start = this.end = 0;
    if (this.buf.length > INITIAL_BUFFER) this.buf = spares.pop() ?? new Uint8Array(INITIAL_BUFFER);
  }

  /** The connection is closed: keep a small buffer for the next one (nothing reads into it). */
  recycle(): void {
    if (this.buf.length === INITIAL_BUFFER && spares.length < MAX_SPARES) spares.push(this.buf);
    this.buf = NO_BYTES;
    this.start = this.end = 0;
  }

  /** The first line of what is buffered (the log line of a request that did not parse). */
  firstLine(): string | null {
    const { buf, start, end } = this;
    let i = start;
    while (i < end && i - start < 2048 && buf[i] !== 0x0d && buf[i] !== 0x0a) i++;
    if (i === start) return null;
    let s = "";
    for (let k = start; k < i; k++) s += String.fromCharCode(buf[k]!);
    return s;
  }
}
