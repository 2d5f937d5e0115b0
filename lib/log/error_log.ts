/**
 * Apache 2.4 error-log lines (pure):
 * `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 123:tid 2] [client 1.2.3.4:5678] message`.
 * @module
 */

import type { LogLevel } from "../config/config.ts";

/** An error-log event, as workers post it to the main thread. */
export interface ErrorRecord {
  readonly timeMs: number;
  readonly level: LogLevel;
  /** Apache module name: core, http, static, session, server... */
  readonly module: string;
  /** "ip:port" of the client, when there is one. */
  readonly client?: string;
  readonly message: string;
  /** Worker id (Apache's tid); 0 for the main thread. */
  readonly tid: number;
}

/** Severity order: a record is written when its rank is >= the configured level's. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 0,
  info: 1,
  notice: 2,
  warn: 3,
  error: 4,
  crit: 5,
});

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let stampMs = NaN;
let stamp = "";

/** Apache's error-log time stamp with microseconds, UTC (the last one is remembered). */
export function errorTime(ms: number): string {
  if (ms === stampMs) return stamp;
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const micros = String(d.getUTCMilliseconds() * 1000).padStart(6, "0");
  stampMs = ms;
  stamp = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${
      p(d.getUTCSeconds())
    }.${micros} ${d.getUTCFullYear()}`;
  return stamp;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

/** A message with control characters escaped as \xhh: the same string when it has none. */
function escapeControls(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      return s.replace(CONTROL, (ch) => "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0"));
    }
  }
  return s;
}

// The part after the time, remembered: a burst of lines (a 404 storm) shares module, level,
// process and worker.
let lastModule = "";
let lastLevel = "";
let lastPid = -1;
let lastTid = -1;
let lastTags = "";

/** One line, without the trailing newline; control characters in the message are escaped. */
export function formatErrorLine(r: ErrorRecord, pid: number): string {
  if (r.module !== lastModule || r.level !== lastLevel || pid !== lastPid || r.tid !== lastTid) {
    lastModule = r.module;
    lastLevel = r.level;
    lastPid = pid;
    lastTid = r.tid;
    lastTags = `] [${r.module}:${r.level}] [pid ${pid}:tid ${r.tid}]`;
  }
  const client = r.client === undefined ? "" : ` [client ${r.client}]`;
  return `[${errorTime(r.timeMs)}${lastTags}${client} ${escapeControls(r.message)}`;
}
