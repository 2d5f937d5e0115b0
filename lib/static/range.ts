/**
 * Range requests (RFC 9110 §14): parses a `Range` field value against a
 * representation of known size and decides 200 (ignore), 206 (ranges) or 416
 * (unsatisfiable). `If-Range` is decided before this, by `ifRangeAllows()` in
 * `conditional.ts`. Pure: no `Deno.*`, no I/O.
 *
 * Decisions (nginx `ngx_http_range_filter_module.c` unless said otherwise):
 * - A syntactically invalid `Range` is ignored (200 full). RFC 9110 §14.2
 *   lets a server ignore Range; nginx answers 416 instead, we follow Deno std
 *   and Apache. `a-b` with `b < a` is invalid (§14.1.1), so it is ignored too.
 * - A unit other than `bytes` (compared case-insensitively) is ignored.
 * - An empty representation (size 0) ignores Range: 200 with an empty body.
 * - Numbers are read with an overflow check: past `Number.MAX_SAFE_INTEGER`
 *   a value is "huge" (Infinity): a huge first-pos is unsatisfiable, a huge
 *   last-pos is clamped, a huge suffix-length means the whole representation.
 * - DoS guards answer 200 full: more than `maxRanges` range-specs (0 disables
 *   ranges), or satisfiable ranges adding up to more bytes than the size
 *   (heavy overlap, e.g. `0-,0-,0-`).
 * - Client order is kept (RFC 9110 §14.1.2 allows either); a range that
 *   starts at or after the previous one and overlaps or touches it is merged
 *   into it. One range left means a single-part 206.
 *
 * @module
 */

// Wire format (RFC 9110 §14.1.1, §14.4, §14.6), for a 10000-byte representation:
//
//   Range: bytes=0-499, -500, 9500-
//          \___/ \________________/
//          unit   range-set = 1#range-spec   (OWS and empty elements around commas)
//
//   range-spec   = int-range / suffix-range
//   int-range    = first-pos "-" [ last-pos ]   "0-499" = [0, 499]    "9500-" = [9500, 9999]
//   suffix-range = "-" suffix-length            "-500"  = [9500, 9999] (last 500 bytes)
//
//   206, one range:     Content-Range: bytes 0-499/10000        body: bytes 0..499
//   206, several:       Content-Type: multipart/byteranges; boundary=B   (see multipart.ts)
//   416, none fit:      Content-Range: bytes */10000            no body

/** An inclusive byte range: `start <= end`, both offsets into the representation. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The decision for a `Range` header. */
export type RangeResult =
  /** Serve 200 with the full representation. */
  | { readonly kind: "ignore"; readonly reason: string }
  /** Serve 416 with `Content-Range: bytes *` + `/size` and no body. */
  | { readonly kind: "unsatisfiable" }
  /** Serve 206: single part if one range, else multipart/byteranges. */
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] };

/** A range-spec as written; `first === null` is a suffix-range; Infinity = huge. */
interface Spec {
  readonly first: number | null;
  readonly last: number | null;
}

const ZERO = 0x30;
const DASH = 0x2d;
const COMMA = 0x2c;

function ignore(reason: string): RangeResult {
  return { kind: "ignore", reason };
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Reads 1*DIGIT at `at` with an overflow check (nginx `cutoff`/`cutlim`).
 * @returns The value (Infinity past MAX_SAFE_INTEGER) and the index after it;
 *   `next === at` when there is no digit.
 */
function readNumber(s: string, at: number): { value: number; next: number } {
  let value = 0;
  let i = at;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) break;
    value = value > (Number.MAX_SAFE_INTEGER - d) / 10 ? Infinity : value * 10 + d;
  }
  return { value, next: i };
}

/** Reads one range-spec at `at`; null if it is not a valid byte range-spec. */
function readSpec(s: string, at: number): { spec: Spec; next: number } | null {
  if (s.charCodeAt(at) === DASH) {
    const n = readNumber(s, at + 1);
    if (n.next === at + 1) return null;
    return { spec: { first: null, last: n.value }, next: n.next };
  }
  const first = readNumber(s, at);
  if (first.next === at || s.charCodeAt(first.next) !== DASH) return null;
  const last = readNumber(s, first.next + 1);
  if (last.next === first.next + 1) {
    return { spec: { first: first.value, last: null }, next: last.next };
  }
  if (last.value < first.value) return null; // §14.1.1: last-pos < first-pos is invalid
  return { spec: { first: first.value, last: last.value }, next: last.next };
}

/**
 * Reads `range-set = 1#range-spec` from `at` to the end.
 * @returns The specs, or a reason to ignore the header.
 */
function readRangeSet(s: string, at: number, maxRanges: number): Spec[] | string {
  const specs: Spec[] = [];
  let i = at;
  for (;;) {
    while (i < s.length && isOws(s.charCodeAt(i))) i++;
    if (i === s.length) break;
    if (s.charCodeAt(i) === COMMA) {
      i++;
      continue;
    }
    const r = readSpec(s, i);
    if (r === null) return "invalid range-spec";
    specs.push(r.spec);
    if (specs.length > maxRanges) return "more ranges than max_ranges";
    i = r.next;
    while (i < s.length && isOws(s.charCodeAt(i))) i++;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== COMMA) return "invalid range-spec";
    i++;
  }
  return specs.length === 0 ? "empty range-set" : specs;
}

/** Resolves a spec against `size > 0`; null if it is unsatisfiable. */
function resolve(spec: Spec, size: number): ByteRange | null {
  if (spec.first === null) {
    const n = spec.last!;
    if (n === 0) return null; // §14.1.1: a zero suffix-length is unsatisfiable
    return { start: n >= size ? 0 : size - n, end: size - 1 };
  }
  if (spec.first >= size) return null;
  const end = spec.last === null || spec.last >= size ? size - 1 : spec.last;
  return { start: spec.first, end };
}

/** Merges a range into the previous one when it starts at/after it and overlaps or touches it. */
function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.start >= prev.start && r.start <= prev.end + 1) {
      out[out.length - 1] = { start: prev.start, end: Math.max(prev.end, r.end) };
    } else {
      out.push(r);
    }
  }
  return out;
}

/**
 * Decides what to do with a `Range` header for a representation of `size`
 * bytes (RFC 9110 §14.2). Call it only for a GET that would be 200, after
 * `If-Range` allowed it.
 *
 * @param header The `Range` field value, or `undefined` if absent.
 * @param size The representation's length in bytes.
 * @param opts `maxRanges`: most range-specs accepted (0 disables ranges).
 * @returns `ignore` (200 full), `unsatisfiable` (416) or `ranges` (206).
 * @throws {RangeError} If `size` or `opts.maxRanges` is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * parseRange("bytes=0-499", 10000, { maxRanges: 16 }); // { kind: "ranges", ranges: [{ start: 0, end: 499 }] }
 * parseRange("bytes=-500", 10000, { maxRanges: 16 }); // ranges [{ start: 9500, end: 9999 }]
 * parseRange("bytes=10000-", 10000, { maxRanges: 16 }); // { kind: "unsatisfiable" }
 * parseRange("items=0-1", 10000, { maxRanges: 16 }); // { kind: "ignore", ... }
 * ```
 */
export function parseRange(
  header: string | undefined,
  size: number,
  opts: { readonly maxRanges: number },
): RangeResult {
  checkCount("size", size);
  checkCount("maxRanges", opts.maxRanges);
  if (header === undefined) return ignore("no Range header");
  const eq = header.indexOf("=");
  if (eq < 0) return ignore("not a ranges-specifier");
  if (header.slice(0, eq).toLowerCase() !== "bytes") return ignore("range unit is not bytes");
  if (size === 0) return ignore("empty representation");
  const specs = readRangeSet(header, eq + 1, opts.maxRanges);
  if (typeof specs === "string") return ignore(specs);
  const ranges: ByteRange[] = [];
  let total = 0;
  for (const spec of specs) {
    const r = resolve(spec, size);
    if (r === null) continue;
    ranges.push(r);
    total += r.end - r.start + 1;
  }
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  if (total > size) return ignore("ranges add up to more than the representation");
  return { kind: "ranges", ranges: coalesce(ranges) };
}

function checkCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot parse Range: "${name}" must be a non-negative integer, got ${n}`);
  }
}

/**
 * Formats the `Content-Range` of one part of a 206 response (RFC 9110 §14.4).
 *
 * @example
 * ```ts
 * contentRange({ start: 0, end: 99 }, 1000); // "bytes 0-99/1000"
 * ```
 */
export function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end}/${size}`;
}

/**
 * Formats the `Content-Range` of a 416 response (RFC 9110 §14.4, §15.5.17):
 * `unsatisfied-range = "*" "/" complete-length` (see the diagram above).
 *
 * @example
 * ```ts
 * unsatisfiedRange(1000) === "bytes *" + "/1000"; // true
 * ```
 */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
