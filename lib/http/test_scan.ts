/**
 * Test helper: feed a message to the parser split at every byte offset (llparse "scan"), and
 * check that every split gives the same result as feeding it whole.
 * @module
 */

import type { Limits } from "./limits.ts";
import { type ParseResult, RequestParser } from "./request_parser.ts";

/** Roomy limits for tests that are not about limits. */
export const TEST_LIMITS: Limits = {
  maxRequestLine: 8190,
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodySize: 1 << 20,
  maxChunkExtension: 1024,
};

/** Parse bytes arriving in the given pieces, as a connection would (buffer grows, parser resumes). */
export function feedPieces(pieces: Uint8Array[], limits: Limits = TEST_LIMITS): ParseResult {
  const p = new RequestParser(limits);
  let buf = new Uint8Array(0);
  let r: ParseResult = { kind: "need-more" };
  for (const piece of pieces) {
    const next = new Uint8Array(buf.length + piece.length);
    next.set(buf);
    next.set(piece, buf.length);
    buf = next;
    r = p.feed(buf);
    if (r.kind !== "need-more") return r;
  }
  return r;
}

/** A stable string form of a result, for comparing splits. */
export function summary(r: ParseResult): string {
  if (r.kind === "need-more") return "need-more";
  if (r.kind === "error") return `error:${r.code}`;
  const h = r.head;
  const fields = h.headers.names.map((n, i) => `${n}=${JSON.stringify(h.headers.values[i])}`).join(
    ";",
  );
  return `head:${h.method} ${h.target} ${h.versionMajor}.${h.versionMinor} [${fields}] +${r.consumed}`;
}

/** Parse `text` whole and split at every offset (also into single bytes); all must agree. */
export function scan(text: string | Uint8Array, limits: Limits = TEST_LIMITS): string {
  const bytes = typeof text === "string" ? latin1Bytes(text) : text;
  const whole = summary(feedPieces([bytes], limits));
  for (let i = 1; i < bytes.length; i++) {
    const split = summary(feedPieces([bytes.subarray(0, i), bytes.subarray(i)], limits));
    if (split !== whole) throw new Error(`split at ${i} gave ${split}, whole gave ${whole}`);
  }
  const single = summary(feedPieces(Array.from(bytes, (b) => Uint8Array.of(b)), limits));
  if (single !== whole) throw new Error(`byte-by-byte gave ${single}, whole gave ${whole}`);
  // As a connection feeds it: one buffer, filled up to `end`, and later bytes read in after
  // them. What lies past `end` (in a server, stale bytes of an earlier message; here "A"s,
  // which would lengthen a target, name or value) must not be read.
  const buf = new Uint8Array(bytes.length);
  for (let i = 1; i < bytes.length; i++) {
    const p = new RequestParser(limits);
    buf.set(bytes.subarray(0, i));
    buf.fill(0x41, i);
    let r = p.feed(buf, i);
    buf.set(bytes);
    if (r.kind === "need-more") r = p.feed(buf, bytes.length);
    const got = summary(r);
    if (got !== whole) throw new Error(`filled up to ${i} gave ${got}, whole gave ${whole}`);
  }
  return whole;
}

/** Each char code as one byte. */
export function latin1Bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
