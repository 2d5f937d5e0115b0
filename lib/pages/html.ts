/**
 * HTML and URL escaping helpers shared by the generated pages (error pages,
 * directory listings). Pure: no Deno.* and no I/O.
 *
 * @module
 */

/** Replacement text for each character that is special in HTML text and attribute values. */
const HTML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const HTML_SPECIAL = /[&<>"']/g;

/**
 * Escapes `& < > " '` so that `s` is safe both as HTML text and inside a
 * single- or double-quoted attribute value.
 *
 * @param s Any string, possibly client-controlled.
 * @returns The escaped string.
 * @example
 * ```ts
 * escapeHtml(`<a href="x">Tom & 'Jerry'</a>`);
 * // "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(HTML_SPECIAL, (ch) => HTML_ENTITIES[ch] ?? ch);
}

const HEX_DIGITS = "0123456789ABCDEF";
const utf8 = new TextEncoder();

/**
 * Whether a byte is an RFC 3986 §2.3 unreserved character:
 * `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
 */
function isUnreserved(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e; // - . _ ~
}

/**
 * Percent-encodes one path segment: every UTF-8 byte that is not an RFC 3986
 * unreserved character becomes `%XX` (upper-case hex). Unlike
 * `encodeURIComponent`, this also encodes `! ' ( ) *`, so the result is safe in
 * any URL position and inside a quoted HTML attribute without further escaping.
 * Lone surrogates are encoded as U+FFFD (TextEncoder behaviour).
 *
 * @param name A decoded file or directory name (must not contain "/" if the
 *   caller means it as one segment; a "/" would be encoded as `%2F`).
 * @returns The encoded segment.
 * @example
 * ```ts
 * encodePathSegment("a b#?.txt"); // "a%20b%23%3F.txt"
 * ```
 */
export function encodePathSegment(name: string): string {
  let out = "";
  for (const b of utf8.encode(name)) {
    if (isUnreserved(b)) {
      out += String.fromCharCode(b);
    } else {
      out += "%" + HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 0x0f];
    }
  }
  return out;
}
