/**
 * The request body as an async iterable of decoded bytes, read from the connection's input
 * buffer (Content-Length or chunked framing). Errors are kept so the connection can answer
 * with the right status even when the handler swallowed them.
 * @module
 */

import { ChunkedDecoder, type ChunkLimits } from "../http/chunked_decoder.ts";
import type { BodyFraming } from "../http/framing.ts";
import type { ParseErrorCode } from "../http/parse_errors.ts";

/** The connection's buffered input: unconsumed bytes are buf[start..end). */
export interface InputBuffer {
  buf: Uint8Array;
  start: number;
  end: number;
  /** Read more bytes into the buffer; false at end of stream. */
  fill(): Promise<boolean>;
}

/** Thrown to the handler when the body cannot be read. */
export class BodyError extends Error {
  override name = "BodyError";
  constructor(readonly code: ParseErrorCode | "client-closed" | "timeout") {
    super(`Request body could not be read: ${code}`);
  }
}

/** Decoded request body. Each yielded view is only valid until the next one is requested. */
export class BodyReader implements AsyncIterable<Uint8Array> {
  readonly #in: InputBuffer;
  readonly #chunked: ChunkedDecoder | null;
  #remaining: number; // for Content-Length framing
  #done = false;
  #error: BodyError | null = null;
  #beforeFirstRead: (() => Promise<void>) | null;
  readonly #onEnd: (() => void) | null;
  received = 0;

  constructor(
    input: InputBuffer,
    framing: Exclude<BodyFraming, { kind: "none" }>,
    limits: ChunkLimits,
    beforeFirstRead: (() => Promise<void>) | null,
    onEnd: (() => void) | null = null,
  ) {
    this.#onEnd = onEnd;
    this.#in = input;
    this.#chunked = framing.kind === "chunked" ? new ChunkedDecoder(limits) : null;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#beforeFirstRead = beforeFirstRead;
  }

  /** Whether the handler asked for the body (so a pending 100 Continue has been sent). */
  get started(): boolean {
    return this.#beforeFirstRead === null;
  }

  /** Whether the whole body has been read. */
  get done(): boolean {
    return this.#done;
  }

  /** The error that stopped reading, if any. */
  get error(): BodyError | null {
    return this.#error;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.next();
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** The next piece of the body, or null at its end. */
  async next(): Promise<Uint8Array | null> {
    if (this.#error !== null) throw this.#error;
    if (this.#done) return null;
    if (this.#beforeFirstRead !== null) {
      const f = this.#beforeFirstRead;
      this.#beforeFirstRead = null;
      await f(); // e.g. 100 Continue, sent only when the handler wants the body
    }
    try {
      return this.#chunked === null
        ? await this.#nextLength()
        : await this.#nextChunk(this.#chunked);
    } catch (e) {
      this.#error = e instanceof BodyError ? e : new BodyError("client-closed");
      throw this.#error;
    }
  }

  /** Read and discard the rest of the body, up to `limit` bytes; false if more remained. */
  async drain(limit: number): Promise<boolean> {
    let n = 0;
    try {
      for (;;) {
        const c = await this.next();
        if (c === null) return true;
        n += c.length;
        if (n > limit) return false;
      }
    } catch {
      return false;
    }
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onEnd?.();
  }

  async #nextLength(): Promise<Uint8Array | null> {
    if (this.#remaining === 0) {
      this.#end();
      return null;
    }
    const inp = this.#in;
    if (inp.start === inp.end && !(await inp.fill())) throw new BodyError("client-closed");
    const n = Math.min(this.#remaining, inp.end - inp.start);
    const out = inp.buf.subarray(inp.start, inp.start + n);
    inp.start += n;
    this.#remaining -= n;
    this.received += n;
    return out;
  }

  async #nextChunk(dec: ChunkedDecoder): Promise<Uint8Array | null> {
    const inp = this.#in;
    for (;;) {
      if (inp.start < inp.end) {
        const s = dec.step(inp.buf.subarray(0, inp.end), inp.start);
        if (s.kind === "error") throw new BodyError(s.code);
        if (s.kind === "data") {
          inp.start = s.end;
          this.received += s.end - s.start;
          return inp.buf.subarray(s.start, s.end);
        }
        inp.start = s.consumed;
        if (s.kind === "done") {
          this.#end();
          return null;
        }
      }
      if (!(await inp.fill())) throw new BodyError("client-closed");
    }
  }
}
