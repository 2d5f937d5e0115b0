/**
 * HTTP-date formatting and strict parsing (RFC 9110 §5.6.7), and a per-second
 * cache of the formatted `Date` header value.
 *
 * ```
 * HTTP-date    = IMF-fixdate / obs-date
 * IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT   ; Sun, 06 Nov 1994 08:49:37 GMT
 * rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT ; Sunday, 06-Nov-94 08:49:37 GMT
 * asctime-date = day-name SP date3 SP time-of-day SP year      ; Sun Nov  6 08:49:37 1994
 * ```
 *
 * Pure: no `Deno.*`, no I/O. Formatting is `Date.prototype.toUTCString()`,
 * which ECMA-262 defines as exactly IMF-fixdate. Parsing is strict and by hand:
 * the date is checked field by field and turned into days on the proleptic
 * Gregorian calendar (H. Hinnant's `days_from_civil`), so neither the lenient
 * `Date.parse` nor `Date.UTC` (which reads years 0-99 as 1900-1999) is used.
 *
 * Parsing decisions:
 * - Names (`Sun`, `Nov`, `GMT`) are case-sensitive, as the ABNF uses `%s"..."`.
 * - The day name must be a valid name but is not checked against the date
 *   (nginx and Go do the same); it carries no information.
 * - A leap second (`:60`, allowed by RFC 9110) is read as `:59` of the same
 *   minute: the instant lies inside that minute and POSIX time has no `:60`.
 * - Leading and trailing OWS (SP / HTAB) is ignored; anything else, including a
 *   list of dates, is invalid and gives `null`.
 *
 * @module
 */

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const DAY_NAMES_LONG = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
] as const;
const MONTH_NAMES = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

const MS_PER_DAY = 86_400_000;
const ZERO = 0x30;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Formats a time as an IMF-fixdate, the only HTTP-date form a sender may
 * generate (RFC 9110 §5.6.7). Sub-second precision is dropped (floored).
 * `Date.prototype.toUTCString()` is defined by ECMA-262 as exactly this
 * form, with the year zero-padded to four digits.
 *
 * @param ms Milliseconds since the Unix epoch.
 * @returns The date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
 * @throws {RangeError} If `ms` is not finite or its year is outside 0-9999.
 *
 * @example
 * ```ts
 * formatHttpDate(784111777000); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * ```
 */
export function formatHttpDate(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Cannot format time "${ms}" as an HTTP-date`);
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) {
    throw new RangeError(`Cannot format year "${year}" as an HTTP-date: must be 0-9999`);
  }
  return date.toUTCString();
}

/** Reads exactly `count` ASCII digits at `at`; -1 if any is not a digit. */
function digits(s: string, at: number, count: number): number {
  if (at + count > s.length) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Index of `name` in `names` if `s` has it at `at`, else -1. */
function nameAt(s: string, at: number, names: readonly string[]): number {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (s.startsWith(name, at)) return i;
  }
  return -1;
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  timeAt: number; // index of "HH:MM:SS"
}

/** Validates a calendar date plus `HH:MM:SS` at `f.timeAt`; returns ms or null. */
function toMillis(s: string, f: Fields): number | null {
  if (f.day < 1 || f.day > daysInMonth(f.year, f.month)) return null;
  const t = f.timeAt;
  if (s[t + 2] !== ":" || s[t + 5] !== ":") return null;
  const hour = digits(s, t, 2);
  const minute = digits(s, t + 3, 2);
  const second = digits(s, t + 6, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return null;
  const sod = hour * 3600 + minute * 60 + Math.min(second, 59);
  return daysFromCivil(f.year, f.month, f.day) * MS_PER_DAY + sod * 1000;
}

/** `Sun, 06 Nov 1994 08:49:37 GMT` (29 characters). */
function parseImfFixdate(s: string): number | null {
  if (s.length !== 29 || nameAt(s, 0, DAY_NAMES) < 0) return null;
  if (s[3] !== "," || s[4] !== " " || s[7] !== " " || s[11] !== " " || s[16] !== " ") return null;
  if (!s.endsWith(" GMT")) return null;
  const month = nameAt(s, 8, MONTH_NAMES) + 1;
  const day = digits(s, 5, 2);
  const year = digits(s, 12, 4);
  if (month === 0 || day < 0 || year < 0) return null;
  return toMillis(s, { year, month, day, timeAt: 17 });
}

/** `Sunday, 06-Nov-94 08:49:37 GMT`, two-digit year read in a 100-year window. */
function parseRfc850(s: string, nowMs: number | undefined): number | null {
  const dn = nameAt(s, 0, DAY_NAMES_LONG);
  if (dn < 0) return null;
  const p = DAY_NAMES_LONG[dn]!.length;
  if (s.length !== p + 24 || s[p] !== "," || s[p + 1] !== " ") return null;
  if (s[p + 4] !== "-" || s[p + 8] !== "-" || s[p + 11] !== " ") return null;
  if (!s.endsWith(" GMT")) return null;
  const month = nameAt(s, p + 5, MONTH_NAMES) + 1;
  const day = digits(s, p + 2, 2);
  const yy = digits(s, p + 9, 2);
  if (month === 0 || day < 0 || yy < 0) return null;
  // RFC 9110 §5.6.7: a year that appears to be more than 50 years in the
  // future is the most recent past year with the same last two digits. So the
  // year lies in [nowYear - 49, nowYear + 50] (compared at year precision).
  const nowYear = new Date(nowMs ?? Date.now()).getUTCFullYear();
  if (!Number.isFinite(nowYear)) return null;
  const base = nowYear - 49;
  const year = base + ((((yy - base) % 100) + 100) % 100);
  return toMillis(s, { year, month, day, timeAt: p + 12 });
}

/** `Sun Nov  6 08:49:37 1994` (24 characters); day is 2DIGIT or SP DIGIT. */
function parseAsctime(s: string): number | null {
  if (s.length !== 24 || nameAt(s, 0, DAY_NAMES) < 0) return null;
  if (s[3] !== " " || s[7] !== " " || s[10] !== " " || s[19] !== " ") return null;
  const month = nameAt(s, 4, MONTH_NAMES) + 1;
  const day = s[8] === " " ? digits(s, 9, 1) : digits(s, 8, 2);
  const year = digits(s, 20, 4);
  if (month === 0 || day < 0 || year < 0) return null;
  return toMillis(s, { year, month, day, timeAt: 11 });
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 requires a
 * recipient to accept: IMF-fixdate, obsolete RFC 850, and asctime.
 *
 * @param text A field value (surrounding SP / HTAB is ignored).
 * @param nowMs The current time, used only for the RFC 850 two-digit year
 *   ("50-year rule"). Defaults to `Date.now()`.
 * @returns Milliseconds since the Unix epoch (always a whole second), or
 *   `null` if `text` is not exactly one valid HTTP-date.
 *
 * @example
 * ```ts
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sun Nov  6 08:49:37 1994"); // 784111777000
 * parseHttpDate("1994-11-06"); // null
 * ```
 */
export function parseHttpDate(text: string, nowMs?: number): number | null {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  const s = start === 0 && end === text.length ? text : text.slice(start, end);
  if (s.length < 24) return null;
  if (s[3] === ",") return parseImfFixdate(s);
  if (s[3] === " ") return parseAsctime(s);
  return parseRfc850(s, nowMs);
}

/**
 * Caches the formatted `Date` header value for the current second, so that a
 * server can call {@linkcode DateCache.value} for every response and format
 * at most once per second (like Node's `utcDate()`).
 *
 * @example
 * ```ts
 * const dates = new DateCache(Date.now);
 * dates.value(); // e.g. "Tue, 15 Nov 1994 08:12:31 GMT"
 * ```
 */
export class DateCache {
  #now: () => number;
  #second = Number.NaN;
  #value = "";

  /** @param now The clock, in milliseconds since the Unix epoch. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** @returns The IMF-fixdate of the clock's current second. */
  value(): string {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#second) {
      this.#value = formatHttpDate(second * 1000);
      this.#second = second;
    }
    return this.#value;
  }
}
