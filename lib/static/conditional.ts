/**
 * Conditional requests (RFC 9110 §13): evaluates `If-Match`,
 * `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the order
 * of §13.2.2, and `If-Range` (§13.1.5) for the range stage.
 *
 * Apply {@linkcode evaluateConditionals} only when the response without
 * preconditions would be 2xx or 412 (§13.2.1): a 404/403/500 is decided first.
 *
 * Decisions:
 * - A syntax error in `If-Match` / `If-None-Match` counts as "no tag matches"
 *   (like Go's `net/http`): `If-Match` then fails (412, the safe answer for a
 *   lost-update guard) and `If-None-Match` then passes (full response). The
 *   header still counts as present, so `If-Unmodified-Since` /
 *   `If-Modified-Since` stay ignored as the RFC order says.
 * - An empty list (`If-Match: ` or `If-Match: ,`) is a valid list in which no
 *   tag matches, so it fails the same way.
 * - Dates are compared at whole-second precision, because HTTP-dates carry no
 *   fraction and `Last-Modified` was sent floored to the second.
 * - A date in the future is not treated specially (the RFC does not require it).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */

import { parseHttpDate } from "../http/http_date.ts";
import { type EntityTag, parseETag, parseETagList, strongMatch, weakMatch } from "./etag.ts";

/** What the server knows about the selected representation. */
export interface Validators {
  /** The current `ETag` field value (e.g. `"abc"` or `W/"abc"`), or null if none. */
  readonly etag: string | null;
  /** The modification time in ms since the epoch, or null if none. */
  readonly lastModifiedMs: number | null;
  /** Whether a current representation exists (for `*`). */
  readonly exists: boolean;
}

/** The precondition header fields; `undefined` means absent. */
export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

/** Go on with the method, answer 304 Not Modified, or 412 Precondition Failed. */
export type ConditionalResult = "proceed" | 304 | 412;

/**
 * Header fields (lower-case) kept on a 304 response: RFC 9110 §15.4.5 says a
 * server MUST send Content-Location, Date, ETag and Vary, and Cache-Control
 * and Expires, if a 200 would have had them, and SHOULD NOT send other
 * representation metadata. `Last-Modified` is left out: this server always
 * sends a strong ETag, which already lets a cache update its entry, so
 * `Last-Modified` would be the metadata the RFC asks not to send.
 */
export const RETAINED_304_HEADERS: ReadonlySet<string> = new Set([
  "cache-control",
  "content-location",
  "date",
  "etag",
  "expires",
  "vary",
]);

/** `true` if any tag of the list matches the current ETag; `*` iff it exists. */
function listMatches(
  header: string,
  v: Validators,
  match: (a: EntityTag, b: EntityTag) => boolean,
): boolean {
  const list = parseETagList(header);
  if (list === null) return false;
  if (list === "*") return v.exists;
  const current = v.exists && v.etag !== null ? parseETag(v.etag) : null;
  if (current === null) return false;
  return list.some((e) => match(e, current));
}

/** Last-Modified floored to the second, or null. */
function lastModifiedSecond(v: Validators): number | null {
  if (v.lastModifiedMs === null || !Number.isFinite(v.lastModifiedMs)) return null;
  return Math.floor(v.lastModifiedMs / 1000) * 1000;
}

/**
 * Evaluates the preconditions of a request in RFC 9110 §13.2.2 order:
 * 1. `If-Match` (strong comparison; `*` true iff the resource exists); false → 412.
 * 2. else `If-Unmodified-Since` (ignored if unparsable or no Last-Modified);
 *    modified after the date → 412.
 * 3. `If-None-Match` (weak comparison; `*` true iff the resource exists);
 *    match → 304 for GET/HEAD, else 412 (e.g. `If-None-Match: *` on a PUT to
 *    an existing file — create-only protection).
 * 4. else, for GET/HEAD only, `If-Modified-Since` (ignored if unparsable or no
 *    Last-Modified); not modified since the date → 304.
 *
 * @param method The request method (case-sensitive, RFC 9110 §9.1).
 * @param h The precondition fields.
 * @param v The current validators.
 * @returns `"proceed"`, `304` or `412`.
 *
 * @example
 * ```ts
 * const v = { etag: '"a"', lastModifiedMs: 784111777000, exists: true };
 * evaluateConditionals("GET", { ifNoneMatch: 'W/"a"' }, v); // 304
 * evaluateConditionals("PUT", { ifMatch: '"b"' }, v); // 412
 * ```
 */
export function evaluateConditionals(
  method: string,
  h: ConditionalHeaders,
  v: Validators,
): ConditionalResult {
  const lastModified = lastModifiedSecond(v);
  if (h.ifMatch !== undefined) {
    if (!listMatches(h.ifMatch, v, strongMatch)) return 412;
  } else if (h.ifUnmodifiedSince !== undefined && lastModified !== null) {
    const date = parseHttpDate(h.ifUnmodifiedSince);
    if (date !== null && lastModified > date) return 412;
  }
  const safe = method === "GET" || method === "HEAD";
  if (h.ifNoneMatch !== undefined) {
    if (listMatches(h.ifNoneMatch, v, weakMatch)) return safe ? 304 : 412;
  } else if (safe && h.ifModifiedSince !== undefined && lastModified !== null) {
    const date = parseHttpDate(h.ifModifiedSince);
    if (date !== null && lastModified <= date) return 304;
  }
  return "proceed";
}

/**
 * Evaluates `If-Range` (RFC 9110 §13.1.5): whether a `Range` header may be
 * honoured. An entity-tag must strongly match the current ETag (a weak tag
 * never matches); an HTTP-date must equal Last-Modified at second precision.
 * A value starting with DQUOTE or `W/` is read as an entity-tag, anything
 * else as a date; a value that is neither is false (send 200 full).
 *
 * Note: the RFC also asks that Last-Modified be a strong validator
 * (§8.8.2.2: at least a second older than Date); that needs the clock and is
 * left to the caller.
 *
 * @param ifRange The field value, or `undefined` if absent.
 * @param v The current validators.
 * @returns `true` to apply the Range header, `false` to ignore it.
 *
 * @example
 * ```ts
 * const v = { etag: '"a"', lastModifiedMs: 784111777000, exists: true };
 * ifRangeAllows(undefined, v); // true
 * ifRangeAllows('"a"', v); // true
 * ifRangeAllows("Sun, 06 Nov 1994 08:49:37 GMT", v); // true
 * ```
 */
export function ifRangeAllows(
  ifRange: string | undefined,
  v: Validators,
  nowMs: number = Date.now(),
): boolean {
  if (ifRange === undefined) return true;
  if (!v.exists) return false;
  if (ifRange.startsWith('"') || ifRange.startsWith("W/")) {
    const tag = parseETag(ifRange);
    const current = v.etag === null ? null : parseETag(v.etag);
    return tag !== null && current !== null && strongMatch(tag, current);
  }
  const date = parseHttpDate(ifRange);
  const lastModified = lastModifiedSecond(v);
  // §13.1.5: a date only matches a strong Last-Modified, one at least a second older than now;
  // a file changed twice within its last-modified second could otherwise be spliced.
  const strong = lastModified !== null && lastModified + 1000 <= Math.floor(nowMs / 1000) * 1000;
  return date !== null && strong && date === lastModified;
}
