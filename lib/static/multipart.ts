/**
 * `multipart/byteranges` bodies (RFC 9110 §14.6) for 206 responses to
 * multi-range requests: the bytes of each part head and of the closing
 * delimiter, and the exact Content-Length, so the body can be streamed from
 * file slices without chunked encoding. Pure: no `Deno.*`, no I/O
 * (`newBoundary()` uses `crypto.getRandomValues`, which is not I/O).
 *
 * @module
 */

// Wire format (RFC 9110 §14.6, RFC 2046 §5.1.1), as nginx writes it:
//
//   HTTP/1.1 206 Partial Content
//   Content-Type: multipart/byteranges; boundary=B
//   Content-Length: <contentLength>
//
//   +- parts[0].head -------------------------------------+
//   | CRLF "--B" CRLF                                     |  the first CRLF is a
//   | "Content-Type: " T CRLF           (omitted if T="") |  harmless preamble
//   | "Content-Range: bytes " s "-" e "/" size CRLF        |
//   | CRLF                                                |
//   +-----------------------------------------------------+
//   <bytes s..e of the representation>
//   ... the same for each further part ...
//   +- tail ----------------+
//   | CRLF "--B--" CRLF     |
//   +-----------------------+
//
//   contentLength = sum(head.length + (e - s + 1)) + tail.length

import type { ByteRange } from "./range.ts";

/** One body part: its head bytes, followed by the bytes of `range`. */
export interface MultipartPart {
  readonly head: Uint8Array;
  readonly range: ByteRange;
}

/** Everything needed to write a multipart/byteranges body. */
export interface MultipartPlan {
  readonly boundary: string;
  /** The response Content-Type: `multipart/byteranges; boundary=...`. */
  readonly contentType: string;
  readonly parts: ReadonlyArray<MultipartPart>;
  /** The close-delimiter, written after the last part's bytes. */
  readonly tail: Uint8Array;
  /** The exact body length in bytes. */
  readonly contentLength: number;
}

// RFC 2046 bcharsnospace that are also tchar, so the boundary needs no quoting
// in the Content-Type parameter; 1 to 70 characters.
const BOUNDARY_RE = /^[A-Za-z0-9'+_.-]{1,70}$/;

/** Encodes a validated header string byte for byte (ISO-8859-1). */
function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** True for a field value: VCHAR, SP, HTAB, obs-text (RFC 9110 §5.5). */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c === 0x7f || c > 0xff)) return false;
  }
  return true;
}

function checkRanges(ranges: readonly ByteRange[], size: number): void {
  if (ranges.length === 0) throw new RangeError("Cannot plan a multipart body without ranges");
  for (const r of ranges) {
    const ok = Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) &&
      r.start >= 0 && r.start <= r.end && r.end < size;
    if (!ok) {
      throw new RangeError(`Cannot plan a multipart part for range ${r.start}-${r.end} of ${size}`);
    }
  }
}

/**
 * Plans a `multipart/byteranges` body.
 *
 * @param ranges Satisfiable ranges, in the order to send them.
 * @param size The representation's length (for each `Content-Range`).
 * @param partType The representation's media type for each part's
 *   `Content-Type`; `""` leaves the field out.
 * @param boundary 1-70 characters of `A-Za-z0-9'+_.-` (see {@linkcode newBoundary}).
 * @returns Heads, tail, response Content-Type and exact Content-Length.
 * @throws {TypeError} If `boundary` or `partType` is not valid.
 * @throws {RangeError} If `ranges` is empty or a range is outside `[0, size)`.
 *
 * @example
 * ```ts
 * const plan = planMultipart([{ start: 0, end: 1 }, { start: 8, end: 9 }], 10, "text/plain", "B");
 * plan.contentType; // "multipart/byteranges; boundary=B"
 * plan.contentLength; // 141
 * ```
 */
export function planMultipart(
  ranges: readonly ByteRange[],
  size: number,
  partType: string,
  boundary: string,
): MultipartPlan {
  if (!BOUNDARY_RE.test(boundary)) {
    throw new TypeError(`Cannot use multipart boundary "${boundary}": not 1-70 safe characters`);
  }
  if (!isFieldValue(partType)) {
    throw new TypeError("Cannot use part Content-Type: not a valid field value");
  }
  checkRanges(ranges, size);
  const typeLine = partType === "" ? "" : `Content-Type: ${partType}\r\n`;
  let contentLength = 0;
  const parts = ranges.map((range) => {
    const head = latin1(
      `\r\n--${boundary}\r\n${typeLine}` +
        `Content-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
    );
    contentLength += head.length + (range.end - range.start + 1);
    return { head, range };
  });
  const tail = latin1(`\r\n--${boundary}--\r\n`);
  contentLength += tail.length;
  return {
    boundary,
    contentType: `multipart/byteranges; boundary=${boundary}`,
    parts,
    tail,
    contentLength,
  };
}

/**
 * Makes a random boundary: 32 hex digits from 128 random bits, so it will
 * not occur in the representation by chance.
 *
 * @example
 * ```ts
 * newBoundary(); // e.g. "3f9c0a6e1b2d4c5e8f7a6b5c4d3e2f10"
 * ```
 */
export function newBoundary(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toHex();
}
