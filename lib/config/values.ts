/**
 * Parsers for `http.conf` value syntaxes: integers, booleans, durations, sizes, host:port,
 * lists, IPs/CIDRs, tokens (pure; errors as values).
 *
 * Numbers are read with a digit loop that stops at `Number.MAX_SAFE_INTEGER` (nginx
 * `cutoff`), never with `parseInt`/`Number`, so `"4zz"`, `"1e3"`, `" 1"` and `"-0"` are errors.
 *
 * @module
 */

import { GIB, HOUR_MS, KIB, MIB, MINUTE_MS, type Range, SECOND_MS } from "./defaults.ts";

/** A parsed value, or what was expected (completes "expected ..., got ..."). */
export type Parsed<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly expected: string;
};

/** A listening or remote address. Hosts are stored without IPv6 brackets. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

/**
 * Read a run of ASCII digits as a safe integer.
 *
 * @param s the text, digits only
 * @returns the number, or `null` if `s` is empty, has a non-digit, or exceeds 2^53-1
 */
export function parseDigits(s: string): number | null {
  if (s.length === 0) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    if (n > (Number.MAX_SAFE_INTEGER - d) / 10) return null;
    n = n * 10 + d;
  }
  return n;
}

function inRange(n: number | null, r: Range): n is number {
  return n !== null && n >= r.min && n <= r.max;
}

/**
 * Parse a decimal integer within a range.
 *
 * @param v the value text
 * @param r inclusive bounds
 * @returns the integer, or what was expected
 */
export function parseInteger(v: string, r: Range): Parsed<number> {
  const n = parseDigits(v);
  return inRange(n, r) ? ok(n) : bad(`an integer from ${r.min} to ${r.max}`);
}

const BOOLS: Readonly<Record<string, boolean>> = {
  on: true,
  off: false,
  true: true,
  false: false,
  yes: true,
  no: false,
};

/**
 * Parse On/Off, true/false or yes/no, case-insensitively.
 *
 * @param v the value text
 * @returns the boolean, or what was expected
 */
export function parseBool(v: string): Parsed<boolean> {
  const b = Object.hasOwn(BOOLS, v.toLowerCase()) ? BOOLS[v.toLowerCase()] : undefined;
  return b === undefined ? bad(`On or Off`) : ok(b);
}

/** Split `digits + suffix`; the suffix is looked up in `units` (`""` = bare number). */
function scaled(v: string, units: Readonly<Record<string, number>>): number | null {
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 0x30 && v.charCodeAt(i) <= 0x39) i++;
  const n = parseDigits(v.slice(0, i));
  const suffix = v.slice(i);
  const unit = Object.hasOwn(units, suffix) ? units[suffix] : undefined;
  if (n === null || unit === undefined) return null;
  const total = n * unit;
  return Number.isSafeInteger(total) ? total : null;
}

const DURATION_UNITS = { "": SECOND_MS, ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS };
const SIZE_UNITS = { "": 1, k: KIB, K: KIB, m: MIB, M: MIB, g: GIB, G: GIB };

/**
 * Format milliseconds with the largest exact unit (`90000` -> `"90s"`, `120000` -> `"2m"`).
 *
 * @param ms a duration in milliseconds
 * @returns the shortest exact spelling
 */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms > 0 && ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  if (ms > 0 && ms % SECOND_MS === 0) return `${ms / SECOND_MS}s`;
  return `${ms}ms`;
}

/**
 * Format bytes with the largest exact unit (`16384` -> `"16k"`).
 *
 * @param n a size in bytes
 * @returns the shortest exact spelling
 */
export function formatSize(n: number): string {
  if (n > 0 && n % GIB === 0) return `${n / GIB}g`;
  if (n > 0 && n % MIB === 0) return `${n / MIB}m`;
  if (n > 0 && n % KIB === 0) return `${n / KIB}k`;
  return `${n}`;
}

/**
 * Parse a duration: `500ms`, `10s`, `2m`, `1h`, or a bare integer meaning seconds.
 *
 * @param v the value text
 * @param r inclusive bounds in milliseconds
 * @returns milliseconds, or what was expected
 */
export function parseDuration(v: string, r: Range): Parsed<number> {
  const ms = scaled(v, DURATION_UNITS);
  if (inRange(ms, r)) return ok(ms);
  return bad(
    `a duration from ${formatDuration(r.min)} to ${formatDuration(r.max)} (like 500ms, 10s, 2m)`,
  );
}

/**
 * Parse a size: bare bytes, or with suffix `k`/`K`, `m`/`M`, `g`/`G` (powers of 1024).
 *
 * @param v the value text
 * @param r inclusive bounds in bytes
 * @returns bytes, or what was expected
 */
export function parseSize(v: string, r: Range): Parsed<number> {
  const n = scaled(v, SIZE_UNITS);
  if (inRange(n, r)) return ok(n);
  return bad(`a size from ${formatSize(r.min)} to ${formatSize(r.max)} (like 512, 64k, 100m)`);
}

/**
 * Split a space- and/or comma-separated list, dropping empty items.
 *
 * @param v the value text
 * @returns the items in order
 */
export function splitList(v: string): string[] {
  return v.split(/[\s,]+/).filter((s) => s !== "");
}

/**
 * Check dotted-quad IPv4 syntax (four decimal octets 0..255, no leading zeros: inet_aton, and so
 * Deno.listen, reads `010` as octal 8, and the allow-list's parser refuses it).
 *
 * @param s the text
 * @returns whether `s` is an IPv4 address
 */
export function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 &&
    parts.every((p) =>
      p.length <= 3 && (p.length === 1 || p[0] !== "0") && inRange(parseDigits(p), BYTE)
    );
}
const BYTE: Range = { min: 0, max: 255 };

/**
 * Check IPv6 text syntax (RFC 4291 §2.2, including `::` and an embedded IPv4 tail).
 *
 * @param s the text, without brackets or zone
 * @returns whether `s` is an IPv6 address
 */
export function isIpv6(s: string): boolean {
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  const last = groups[groups.length - 1];
  const v4 = last !== undefined && last.includes(".");
  if (v4 && !isIpv4(last)) return false;
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const width = hex.length + (v4 ? 2 : 0);
  return halves.length === 2 ? width <= 7 : width === 8;
}

/**
 * Check DNS host-name syntax (RFC 1123 labels of letters, digits and inner hyphens).
 *
 * @param s the text
 * @returns whether `s` is a host name
 */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.split(".");
  // An all-digit last label would make "999.1.1.1" a host name (RFC 1123 §2.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return false;
  return labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/**
 * Parse `host:port`, `[ipv6]:port`, `*:port` (any IPv4 address) or, with a default host,
 * a bare port.
 *
 * @param v the value text
 * @param opts port bounds, and the host used for a bare port or `*` (none = host required)
 * @returns the address with IPv6 brackets removed, or what was expected
 */
export function parseAddress(
  v: string,
  opts: { readonly ports: Range; readonly anyHost?: string },
): Parsed<Address> {
  const colon = v.lastIndexOf(":");
  const hostText = colon < 0 ? "" : v.slice(0, colon);
  const port = parseDigits(colon < 0 ? v : v.slice(colon + 1));
  const host = hostText.startsWith("[") && hostText.endsWith("]")
    ? (isIpv6(hostText.slice(1, -1)) ? hostText.slice(1, -1) : null)
    : hostText === "*" || hostText === ""
    ? opts.anyHost ?? null
    : isIpv4(hostText) || isHostname(hostText)
    ? hostText
    : null;
  if (host !== null && inRange(port, opts.ports)) return ok({ host, port });
  const form = opts.anyHost === undefined ? "host:port" : "host:port or a bare port";
  return bad(`${form} (IPv6 as [::1]:port), port from ${opts.ports.min} to ${opts.ports.max}`);
}

/**
 * Check an IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`).
 *
 * @param s the text
 * @returns whether `s` is valid
 */
export function isIpOrCidr(s: string): boolean {
  const slash = s.indexOf("/");
  const ip = slash < 0 ? s : s.slice(0, slash);
  const bits = slash < 0 ? null : parseDigits(s.slice(slash + 1));
  if (isIpv4(ip)) return slash < 0 || inRange(bits, { min: 0, max: 32 });
  if (isIpv6(ip)) return slash < 0 || inRange(bits, { min: 0, max: 128 });
  return false;
}

/**
 * Check an RFC 9110 §5.6.2 token (also the RFC 6265 cookie-name grammar).
 *
 * @param s the text
 * @returns whether `s` is a non-empty token
 */
export function isToken(s: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);
}

/**
 * Check a header field value we are willing to send: visible ASCII, inner spaces/tabs only
 * (RFC 9110 §5.5 without obs-text).
 *
 * @param s the text
 * @returns whether `s` is a non-empty, trimmed field value
 */
export function isFieldValue(s: string): boolean {
  return /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(s);
}

/**
 * Check a URL path prefix: starts with `/`, visible ASCII, no `.`/`..` segments.
 *
 * @param s the text
 * @returns whether `s` is a usable prefix
 */
export function isUrlPath(s: string): boolean {
  if (!/^\/[\x21-\x7e]*$/.test(s) || s.includes("?") || s.includes("#")) return false;
  return s.split("/").every((seg) => seg !== "." && seg !== "..");
}
