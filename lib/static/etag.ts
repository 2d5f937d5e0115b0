/**
 * Entity tags (RFC 9110 §8.8.3): making a validator from file facts, parsing
 * `If-Match` / `If-None-Match` / `If-Range` values, and the strong and weak
 * comparison functions of §8.8.3.2.
 *
 * ```
 * entity-tag = [ weak ] opaque-tag
 * weak       = %s"W/"
 * opaque-tag = DQUOTE *etagc DQUOTE
 * etagc      = %x21 / %x23-7E / obs-text      ; VCHAR except DQUOTE, plus obs-text
 * If-Match   = "*" / #entity-tag              ; If-None-Match has the same syntax
 * ```
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */

/** A parsed entity-tag. `tag` is the opaque-tag without its quotes. */
export interface EntityTag {
  readonly weak: boolean;
  readonly tag: string;
}

/** File facts an ETag is derived from. */
export interface ETagSource {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number | null;
}

const DQUOTE = 0x22;
const COMMA = 0x2c;
const ENCODING_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/; // a content-coding token

/**
 * Makes a strong ETag from a file's inode, size and modification time, like
 * Apache's `INode MTime Size`: `"<hex ino>-<hex size>-<hex mtime ms>"`. The
 * inode part is left out when the platform gives none. A content-coded
 * variant gets its coding appended, because a strong validator must differ
 * between representations that differ in bytes (RFC 9110 §8.8.3.3).
 *
 * @param f Size in bytes, modification time in ms, inode number or `null`.
 * @param encoding Content coding of the representation, e.g. `"br"` or `"gzip"`.
 * @returns The quoted ETag field value.
 * @throws {TypeError} If `encoding` is not a token.
 *
 * @example
 * ```ts
 * makeETag({ size: 1000, mtimeMs: 1700000000000, ino: 42 }); // "\"2a-3e8-18bcfe56800\""
 * makeETag({ size: 1000, mtimeMs: 1700000000000, ino: null }, "br"); // "\"3e8-18bcfe56800-br\""
 * ```
 */
export function makeETag(f: ETagSource, encoding?: string): string {
  let tag = `${hex(f.size)}-${hex(f.mtimeMs)}`;
  if (f.ino !== null) tag = `${hex(f.ino)}-${tag}`;
  if (encoding !== undefined) {
    if (!ENCODING_RE.test(encoding)) {
      throw new TypeError(`Cannot make an ETag for content coding "${encoding}": not a token`);
    }
    tag += `-${encoding.toLowerCase()}`;
  }
  return `"${tag}"`;
}

function hex(n: number): string {
  return Math.floor(n).toString(16);
}

function isEtagc(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Reads one entity-tag starting at `at`.
 * @returns The tag and the index after it, or `null` on a syntax error.
 */
function scanETag(s: string, at: number): { etag: EntityTag; next: number } | null {
  let i = at;
  const weak = s.startsWith("W/", i);
  if (weak) i += 2;
  if (s.charCodeAt(i) !== DQUOTE) return null;
  const open = ++i;
  while (i < s.length && isEtagc(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== DQUOTE) return null;
  return { etag: { weak, tag: s.slice(open, i) }, next: i + 1 };
}

/**
 * Parses a single entity-tag, such as an `ETag` or `If-Range` field value.
 *
 * @param value The text, with no surrounding whitespace.
 * @returns The entity-tag, or `null` if `value` is not exactly one.
 *
 * @example
 * ```ts
 * parseETag('W/"xyzzy"'); // { weak: true, tag: "xyzzy" }
 * ```
 */
export function parseETag(value: string): EntityTag | null {
  const r = scanETag(value, 0);
  return r !== null && r.next === value.length ? r.etag : null;
}

/**
 * Parses an `If-Match` / `If-None-Match` field value (RFC 9110 §13.1.1-2).
 * List rules follow RFC 9110 §5.6.1.2: OWS around commas and empty elements
 * are accepted, so `""`, `" , "` give an empty list. A comma inside quotes
 * belongs to the tag. `*` is only valid alone.
 *
 * @param header The field value (values of repeated fields joined by ", ").
 * @returns `"*"`, the list of entity-tags, or `null` on a syntax error.
 *
 * @example
 * ```ts
 * parseETagList('"xyzzy", W/"r2d2xxxx"'); // [{weak:false,tag:"xyzzy"},{weak:true,tag:"r2d2xxxx"}]
 * parseETagList(" * "); // "*"
 * parseETagList("xyzzy"); // null
 * ```
 */
export function parseETagList(header: string): EntityTag[] | "*" | null {
  const list: EntityTag[] = [];
  let i = 0;
  for (;;) {
    while (i < header.length && isOws(header.charCodeAt(i))) i++;
    if (i === header.length) return list;
    if (header.charCodeAt(i) === COMMA) {
      i++;
      continue;
    }
    if (header[i] === "*") return isOnlyStar(header, i) ? "*" : null;
    const r = scanETag(header, i);
    if (r === null) return null;
    list.push(r.etag);
    i = r.next;
    while (i < header.length && isOws(header.charCodeAt(i))) i++;
    if (i === header.length) return list;
    if (header.charCodeAt(i) !== COMMA) return null;
    i++;
  }
}

/** True if the `*` at `at` is the only non-OWS character of `s`. */
function isOnlyStar(s: string, at: number): boolean {
  for (let i = 0; i < s.length; i++) {
    if (i !== at && !isOws(s.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Strong comparison (RFC 9110 §8.8.3.2): both tags are strong and their
 * opaque-tags are identical. Used for `If-Match` and `If-Range`.
 *
 * @example
 * ```ts
 * strongMatch({ weak: false, tag: "1" }, { weak: false, tag: "1" }); // true
 * strongMatch({ weak: true, tag: "1" }, { weak: true, tag: "1" }); // false
 * ```
 */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.tag === b.tag;
}

/**
 * Weak comparison (RFC 9110 §8.8.3.2): opaque-tags are identical, whether
 * either tag is weak or not. Used for `If-None-Match`.
 *
 * @example
 * ```ts
 * weakMatch({ weak: true, tag: "1" }, { weak: false, tag: "1" }); // true
 * ```
 */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.tag === b.tag;
}
