/**
 * Cookie parsing and Set-Cookie building (RFC 6265), pure.
 *
 * Only what the session cookie needs: find one cookie by name in the request's Cookie fields
 * (§5.4 sends `name=value` pairs separated by "; "), and build a validated Set-Cookie value
 * (§4.1.1 grammar) so a bad name or value can never produce a broken or injected header.
 * @module
 */

import { trimOws } from "../http/chars.ts";

/** RFC 6265 §4.1.1 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
function isCookieOctet(c: number): boolean {
  return c === 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
    (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/** RFC 9110 §5.6.2 tchar (cookie-name is a token, RFC 6265 §4.1.1). */
function isTchar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/**
 * Whether a string is a valid cookie name (an RFC 9110 token).
 * @example
 * isCookieName("sid"); // true
 * isCookieName("s id"); // false
 */
export function isCookieName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Whether a string is a valid unquoted cookie value (cookie-octets only; may be empty).
 * @example
 * isCookieValue("abc-123_x"); // true
 * isCookieValue("a;b"); // false
 */
export function isCookieValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isCookieOctet(s.charCodeAt(i))) return false;
  return true;
}

/**
 * The value of the first cookie called `name` in one Cookie field value, or null.
 * Pairs are split on ";" and trimmed of spaces/tabs (browsers send "; "); a value in double
 * quotes is unquoted (§4.1.1); pairs without "=" are skipped.
 * @example
 * findCookie("a=1; sid=xyz; b=2", "sid"); // "xyz"
 * findCookie("sidx=1", "sid"); // null
 */
export function findCookie(field: string, name: string): string | null {
  let start = 0;
  while (start <= field.length) {
    let end = field.indexOf(";", start);
    if (end < 0) end = field.length;
    const pair = trimOws(field.slice(start, end));
    const eq = pair.indexOf("=");
    if (eq > 0 && trimOws(pair.slice(0, eq)) === name) {
      const v = trimOws(pair.slice(eq + 1));
      return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    }
    start = end + 1;
  }
  return null;
}

/** Attributes of a Set-Cookie value. */
export interface CookieAttributes {
  /** `Path` (default "/"). */
  readonly path?: string;
  /** `Max-Age` in seconds; omitted = a session cookie. */
  readonly maxAgeS?: number;
  /** `HttpOnly` (default true). */
  readonly httpOnly?: boolean;
  /** `SameSite` (default "Lax"). */
  readonly sameSite?: "Strict" | "Lax" | "None";
  /** `Secure` (default false; required by browsers for SameSite=None). */
  readonly secure?: boolean;
}

/**
 * Build a Set-Cookie field value, validating name, value and path.
 * @throws {TypeError} when the name is not a token, the value has non-cookie-octets or the
 *   path has ";" or control characters
 * @example
 * setCookie("sid", "abc"); // "sid=abc; Path=/; HttpOnly; SameSite=Lax"
 */
export function setCookie(name: string, value: string, attrs: CookieAttributes = {}): string {
  if (!isCookieName(name)) throw new TypeError(`Cannot set cookie "${name}": invalid name`);
  if (!isCookieValue(value)) throw new TypeError(`Cannot set cookie "${name}": invalid value`);
  const path = attrs.path ?? "/";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f;]/.test(path)) {
    throw new TypeError(`Cannot set cookie "${name}": invalid path "${path}"`);
  }
  let s = `${name}=${value}; Path=${path}`;
  if (attrs.maxAgeS !== undefined) s += `; Max-Age=${Math.max(0, Math.floor(attrs.maxAgeS))}`;
  if (attrs.httpOnly ?? true) s += "; HttpOnly";
  s += `; SameSite=${attrs.sameSite ?? "Lax"}`;
  if (attrs.secure === true || attrs.sameSite === "None") s += "; Secure";
  return s;
}
