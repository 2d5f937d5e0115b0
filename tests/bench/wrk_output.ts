/**
 * Parse the text `wrk --latency` prints (wrk 4.x), pure. Units follow wrk's own formatters:
 * times in us/ms/s/m/h, sizes in B/KB/MB/GB/TB (powers of 1024).
 *
 * ```
 * Running 5s test @ http://127.0.0.1:8080/1k.html
 *   2 threads and 50 connections
 *   Thread Stats   Avg      Stdev     Max   +/- Stdev
 *     Latency   345.12us  123.45us   5.67ms   89.01%
 *   Latency Distribution
 *      50%  320.00us
 *      99%    1.20ms
 *   698765 requests in 5.00s, 812.34MB read
 *   Socket errors: connect 0, read 0, write 0, timeout 0
 *   Non-2xx or 3xx responses: 123
 * Requests/sec: 139753.00
 * Transfer/sec:    162.47MB
 * ```
 * @module
 */

/** Numbers from one wrk run. */
export interface WrkResult {
  /** Completed requests. */
  readonly requests: number;
  /** Measured duration in seconds. */
  readonly seconds: number;
  /** Requests per second. */
  readonly rps: number;
  /** Response bytes read per second. */
  readonly bytesPerSec: number;
  /** Latency percentiles in microseconds. */
  readonly p50Us: number;
  readonly p75Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  /** wrk's socket error counters. */
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses whose status was not 2xx or 3xx. */
  readonly non2xx3xx: number;
}

const TIME_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

const DECIMAL = /^\d+(?:\.\d+)?$/;

/** A decimal already matched by a strict regex: Number() cannot misread it. */
function decimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}

/**
 * A wrk time such as `345.12us`, `1.20ms`, `2.00s` or `1.00m`, in microseconds.
 * @param text the value
 * @returns microseconds, or null when it is not a wrk time
 * @example
 * parseWrkTime("1.20ms"); // 1200
 */
export function parseWrkTime(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (m === null) return null;
  const n = decimal(m[1] ?? "");
  const unit = TIME_UNITS[m[2] ?? ""];
  return n === null || unit === undefined ? null : n * unit;
}

/**
 * A wrk size such as `162.47MB` or `512.00B`, in bytes (powers of 1024, as wrk prints them).
 * @param text the value
 * @returns bytes, or null when it is not a wrk size
 * @example
 * parseWrkSize("1.50KB"); // 1536
 */
export function parseWrkSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (m === null) return null;
  const n = decimal(m[1] ?? "");
  const unit = SIZE_UNITS[m[2] ?? ""];
  return n === null || unit === undefined ? null : n * unit;
}

function percentile(text: string, p: string): number | null {
  const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, "m").exec(text);
  return m === null ? null : parseWrkTime(m[1] ?? "");
}

function socketErrors(text: string): WrkResult["socketErrors"] {
  const m = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const at = (i: number) => (m === null ? 0 : decimal(m[i] ?? "") ?? 0);
  return { connect: at(1), read: at(2), write: at(3), timeout: at(4) };
}

/**
 * Parse the output of `wrk --latency`.
 * @param text wrk's stdout
 * @returns the numbers, or an Error naming the line that is missing
 */
export function parseWrkOutput(text: string): WrkResult | Error {
  const rps = /^Requests\/sec:\s+(\S+)\s*$/m.exec(text);
  const transfer = /^Transfer\/sec:\s+(\S+)\s*$/m.exec(text);
  const total = /^\s*(\d+) requests in (\S+), (\S+) read\s*$/m.exec(text);
  if (rps === null) return new Error("Cannot read wrk output: no Requests/sec line");
  if (transfer === null) return new Error("Cannot read wrk output: no Transfer/sec line");
  if (total === null) return new Error("Cannot read wrk output: no 'requests in' line");
  const fields = {
    rps: decimal(rps[1] ?? ""),
    bytesPerSec: parseWrkSize(transfer[1] ?? ""),
    requests: decimal(total[1] ?? ""),
    seconds: parseWrkTime(total[2] ?? ""),
    p50Us: percentile(text, "50"),
    p75Us: percentile(text, "75"),
    p90Us: percentile(text, "90"),
    p99Us: percentile(text, "99"),
  };
  for (const [k, v] of Object.entries(fields)) {
    if (v === null) return new Error(`Cannot read wrk output: bad or missing ${k}`);
  }
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const f = fields as { [K in keyof typeof fields]: number };
  return {
    ...f,
    seconds: f.seconds / 1e6,
    socketErrors: socketErrors(text),
    non2xx3xx: non === null ? 0 : decimal(non[1] ?? "") ?? 0,
  };
}
