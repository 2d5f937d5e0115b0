/**
 * Apache Combined Log Format, one line per response (pure):
 * `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, and with HTTPS on, the scheme the
 * request came on as a last, unquoted field (`... "curl/7.88.1" https`).
 * @module
 */

/** What one access-log line says. */
export interface AccessRecord {
  readonly client: string;
  readonly user: string | null;
  readonly timeMs: number;
  /** The request line as received, or null when none could be read. */
  readonly requestLine: string | null;
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  /**
   * "http" or "https", written after the user agent when the server also serves HTTPS (a
   * trailing field, which Combined Log Format readers such as goaccess skip); null: none.
   */
  readonly scheme?: string | null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let cachedSecond = -1;
let cachedTime = "";

/** Apache's %t: [10/Oct/2000:13:55:36 +0000], in UTC, formatted once per second. */
export function clfTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    cachedTime = `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
    cachedSecond = sec;
  }
  return cachedTime;
}

function pad(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * Escape a logged value as Apache does: `"` and `\` backslash-escaped, non-printable bytes as
 * \xhh, so a client cannot forge log lines.
 */
export function escapeLogValue(s: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[\x00-\x1f"\\\x7f-\uffff]/.test(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += "\\" + s[i];
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + (c & 0xff).toString(16).padStart(2, "0");
    else out += s[i];
  }
  return out;
}

/** One line, without the trailing newline (access_buffer.ts writes the same bytes). */
export function formatAccessLine(r: AccessRecord): string {
  return `${r.client} - ${r.user === null ? "-" : escapeLogValue(r.user)} ${clfTime(r.timeMs)} ${
    formatTail(r)
  }`;
}

// The last line's part after the time, reused when the next request is alike (the same
// request line, status, size, referer and agent: a hot page, a poller, a load tool).
let lastTail = "";
let lastLine: string | null = null;
let lastStatus = -1;
let lastBytes = -1;
let lastReferer: string | undefined;
let lastAgent: string | undefined;
let lastScheme: string | null = null;

/**
 * The line's part after the time, `"%r" %>s %b "%{Referer}i" "%{User-agent}i"`: the same string
 * object as last time when the request is alike.
 */
export function formatTail(r: AccessRecord): string {
  if (
    r.requestLine === lastLine && r.status === lastStatus && r.bytes === lastBytes &&
    r.referer === lastReferer && r.userAgent === lastAgent && lastStatus !== -1 &&
    (r.scheme ?? null) === lastScheme
  ) {
    return lastTail;
  }
  const line = r.requestLine === null ? "-" : escapeLogValue(r.requestLine);
  const bytes = r.bytes === 0 ? "-" : String(r.bytes);
  const ref = r.referer === undefined ? "-" : escapeLogValue(r.referer);
  const ua = r.userAgent === undefined ? "-" : escapeLogValue(r.userAgent);
  const scheme = r.scheme ?? null;
  lastTail = `"${line}" ${r.status} ${bytes} "${ref}" "${ua}"${
    scheme === null ? "" : ` ${scheme}`
  }`;
  lastLine = r.requestLine;
  lastStatus = r.status;
  lastBytes = r.bytes;
  lastReferer = r.referer;
  lastAgent = r.userAgent;
  lastScheme = scheme;
  return lastTail;
}
