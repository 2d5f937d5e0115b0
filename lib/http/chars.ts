/**
 * Byte-class lookup tables for the ABNF rules the parser needs.
 * @module
 */

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const TCHAR_EXTRA = "!#$%&'*+-.^_`|~";

/** tchar (RFC 9110 §5.6.2): "!" / "#" / ... / DIGIT / ALPHA. */
export const TCHAR: Uint8Array = table((c) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
  TCHAR_EXTRA.includes(String.fromCharCode(c))
);

/** Characters allowed in a request-target: VCHAR (RFC 5234 B.1), no spaces or controls. */
export const TARGET_CHAR: Uint8Array = table((c) => c >= 0x21 && c <= 0x7e);

/** field-vchar / SP / HTAB (RFC 9110 §5.5): VCHAR, obs-text (0x80-0xFF), space and tab. */
export const FIELD_VALUE_CHAR: Uint8Array = table((c) =>
  c === 0x09 || c === 0x20 || (c >= 0x21 && c <= 0x7e) || c >= 0x80
);

/** HEXDIG (RFC 5234 B.1), case-insensitive as ABNF strings are; value + 1, 0 = not a hex digit. */
export const HEX_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c + 1;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = c + 11;
    t[0x61 + c] = c + 11;
  }
  return t;
})();

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

/**
 * Decode a byte span as latin1 (each byte one code unit); fields are octets, RFC 9110 §5.5.
 * (Not TextDecoder("latin1"): the Encoding Standard makes that windows-1252, which turns 0x80
 * into U+20AC.)
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  let s = "";
  for (let i = start; i < end; i += 4096) {
    const part = buf.subarray(i, Math.min(end, i + 4096));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}

/** Whether a character code is OWS (RFC 9110 §5.6.3): SP or HTAB, nothing else. */
export function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * A field value or list element without leading and trailing OWS (SP and HTAB, RFC 9110 §5.5).
 * Never `String.prototype.trim()` in the protocol path: it also strips NBSP (0xA0, obs-text in a
 * latin1-decoded field), so `Content-Length: \xa05` would read as 5 and `chunked\xa0` as chunked.
 * @example
 * trimOws(" \tgzip \t"); // "gzip"
 * trimOws("chunked\xa0"); // "chunked\xa0" (not a coding this server knows)
 */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
