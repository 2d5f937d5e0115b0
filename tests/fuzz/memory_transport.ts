/**
 * An in-memory Transport for driving a Connection in the fuzz suite: reads deliver the given
 * pieces of input in order (a piece larger than the buffer offered is delivered over several
 * reads), writes accept at most `maxWrite` bytes each (partial writes, so the writer must
 * loop), and it records the largest read buffer the connection offered.
 * @module
 */

import type { Transport } from "../../lib/server/transport.ts";

/** A transport over fixed input pieces that collects every byte written. */
export class MemoryTransport implements Transport {
  closed = false;
  /** The largest buffer a read was offered (the connection's read buffer, whole). */
  maxBuffer = 0;
  readonly #pieces: Uint8Array[];
  readonly #maxWrite: number;
  readonly #out: number[] = [];

  constructor(pieces: readonly Uint8Array[], maxWrite = Infinity) {
    this.#pieces = [...pieces];
    this.#maxWrite = maxWrite;
  }

  read(p: Uint8Array): Promise<number | null> {
    this.maxBuffer = Math.max(this.maxBuffer, p.buffer.byteLength);
    let next = this.#pieces.shift();
    while (next !== undefined && next.length === 0) next = this.#pieces.shift();
    if (next === undefined || this.closed) return Promise.resolve(null);
    const n = Math.min(p.length, next.length);
    if (n < next.length) this.#pieces.unshift(next.subarray(n));
    p.set(next.subarray(0, n));
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.length, this.#maxWrite);
    for (let i = 0; i < n; i++) this.#out.push(p[i]!);
    return Promise.resolve(n);
  }

  close(): void {
    this.closed = true;
  }

  /** Everything written, one character per byte. */
  output(): string {
    let s = "";
    for (const b of this.#out) s += String.fromCharCode(b);
    return s;
  }
}
