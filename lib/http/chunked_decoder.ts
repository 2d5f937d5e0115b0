/**
 * Incremental decoder for the chunked transfer coding (RFC 9112 §7.1), pure and size-limited.
 *
 * ```
 * chunked-body = *chunk last-chunk trailer-section CRLF
 * chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * last-chunk   = 1*("0") [ chunk-ext ] CRLF
 * ```
 * Trailer fields are checked for framing and size, then discarded (RFC 9110 §6.5.1 lets a
 * recipient drop them).
 * @module
 */

import { CR, HEX_VALUE, HTAB, LF, SP } from "./chars.ts";
import type { ParseErrorCode } from "./parse_errors.ts";

/** One step of decoding. Offsets index the buffer passed to step(). */
export type ChunkStep =
  | { readonly kind: "data"; readonly start: number; readonly end: number }
  | { readonly kind: "more"; readonly consumed: number }
  | { readonly kind: "done"; readonly consumed: number }
  | { readonly kind: "error"; readonly code: ParseErrorCode };

const enum S {
  Size,
  SizeWs,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/** Limits for a chunked body. */
export interface ChunkLimits {
  readonly maxBodySize: number;
  readonly maxChunkExtension: number;
  readonly maxHeaderBytes: number;
}

/** Decoder state for one chunked body. */
export class ChunkedDecoder {
  #state = S.Size;
  #digits = 0;
  #size = 0; // remaining bytes of the current chunk while in Data
  #total = 0;
  #ext = 0;
  #trailer = 0;
  readonly #limits: ChunkLimits;

  constructor(limits: ChunkLimits) {
    this.#limits = limits;
  }

  /** Body bytes decoded so far. */
  get total(): number {
    return this.#total;
  }

  /**
   * Decode from buf[from..]. Returns at the first data span (so the caller can use it in place)
   * or when the buffer is used up, the body ends, or an error is found.
   */
  step(buf: Uint8Array, from: number): ChunkStep {
    let pos = from;
    while (pos < buf.length) {
      if (this.#state === S.Data) {
        const n = Math.min(this.#size, buf.length - pos);
        this.#size -= n;
        if (this.#size === 0) this.#state = S.DataCr;
        return { kind: "data", start: pos, end: pos + n };
      }
      const r = this.#byte(buf[pos]!);
      pos++;
      if (r !== null) return { kind: "error", code: r };
      if (this.#state === S.Done) return { kind: "done", consumed: pos };
    }
    return { kind: "more", consumed: pos };
  }

  #byte(c: number): ParseErrorCode | null {
    switch (this.#state) {
      case S.Size: {
        const v = HEX_VALUE[c]!;
        if (v !== 0) {
          if (++this.#digits > 13) return "bad-chunk-size"; // 16^13 > 2^52: keep exact
          this.#size = this.#size * 16 + v - 1;
          return null;
        }
        if (this.#digits === 0) return "bad-chunk-size";
        return this.#afterSize(c);
      }
      case S.SizeWs:
        if (c === SP || c === HTAB) return null;
        if (c === 0x3b) return this.#setState(S.Ext);
        return "bad-chunk-size";
      case S.Ext:
        if (c === CR) return this.#setState(S.SizeLf);
        if (++this.#ext > this.#limits.maxChunkExtension) return "chunk-extension-too-long";
        return (c < 0x20 && c !== HTAB) || c === 0x7f ? "bad-chunk" : null;
      case S.SizeLf:
        if (c !== LF) return "bad-chunk";
        return this.#startData();
      case S.DataCr:
        return c === CR ? this.#setState(S.DataLf) : "bad-chunk";
      case S.DataLf:
        return c === LF ? this.#nextSize() : "bad-chunk";
      case S.TrailerStart:
        if (c === CR) return this.#setState(S.EndLf);
        if (c === SP || c === HTAB) return "obs-fold";
        this.#state = S.Trailer;
        return this.#trailerByte(c);
      case S.Trailer:
        if (c === CR) return this.#setState(S.TrailerLf);
        return this.#trailerByte(c);
      case S.TrailerLf:
        return c === LF ? this.#setState(S.TrailerStart) : "bare-lf";
      case S.EndLf:
        return c === LF ? this.#setState(S.Done) : "bare-lf";
      default:
        return "bad-chunk";
    }
  }

  #afterSize(c: number): ParseErrorCode | null {
    if (c === CR) return this.#setState(S.SizeLf);
    if (c === 0x3b) return this.#setState(S.Ext);
    if (c === SP || c === HTAB) return this.#setState(S.SizeWs);
    return c === LF ? "bare-lf" : "bad-chunk-size";
  }

  #startData(): ParseErrorCode | null {
    if (this.#size === 0) return this.#setState(S.TrailerStart);
    if (this.#total + this.#size > this.#limits.maxBodySize) return "body-too-large";
    this.#total += this.#size;
    return this.#setState(S.Data);
  }

  #nextSize(): null {
    this.#digits = 0;
    this.#size = 0;
    this.#ext = 0;
    this.#state = S.Size;
    return null;
  }

  #trailerByte(c: number): ParseErrorCode | null {
    if (++this.#trailer > this.#limits.maxHeaderBytes) return "trailers-too-large";
    if (c === LF) return "bare-lf";
    return (c < 0x20 && c !== HTAB) || c === 0x7f ? "bad-chunk" : null;
  }

  #setState(s: S): null {
    this.#state = s;
    return null;
  }
}
