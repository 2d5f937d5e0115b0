/**
 * The pure parts of `deno task stress`: its options (bounded), which hosts it may load without
 * `--allow-remote`, a latency histogram with percentiles, and the lines it prints.
 * @module
 */

import ipaddr from "ipaddr.js";

/** Options of a stress run, checked. */
export interface StressOptions {
  readonly url: string;
  readonly clients: number;
  readonly seconds: number;
  /** Stop after this many requests in all (Infinity: only the duration bounds the run). */
  readonly requests: number;
  readonly methods: readonly string[];
  readonly paths: readonly string[];
  readonly timeoutMs: number;
  readonly allowRemote: boolean;
}

/** Bounds of the options: a stress run always ends, and cannot open unbounded connections. */
export const LIMITS = {
  clients: { min: 1, max: 1000 },
  seconds: { min: 1, max: 3600 },
  requests: { min: 1, max: 100_000_000 },
  timeoutMs: { min: 100, max: 120_000 },
} as const;

const METHODS = ["GET", "HEAD", "POST"];

/**
 * Options from parsed flags.
 * @throws {RangeError} naming the flag, for a value out of its bounds
 */
export function stressOptions(
  url: string,
  v: {
    clients?: string | undefined;
    duration?: string | undefined;
    requests?: string | undefined;
    methods?: string | undefined;
    paths?: string | undefined;
    timeout?: string | undefined;
    "allow-remote"?: boolean | undefined;
  },
  defaultPaths: readonly string[],
): StressOptions {
  const int = (
    flag: string,
    text: string | undefined,
    dflt: number,
    r: { min: number; max: number },
  ) => {
    if (text === undefined) return dflt;
    const n = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(n >= r.min && n <= r.max)) {
      throw new RangeError(
        `--${flag}: expected an integer from ${r.min} to ${r.max}, got "${text}"`,
      );
    }
    return n;
  };
  const methods = (v.methods ?? METHODS.join(",")).split(",").map((m) => m.trim().toUpperCase())
    .filter((m) => m !== "");
  for (const m of methods) {
    if (!METHODS.includes(m)) throw new RangeError(`--methods: "${m}" is not GET, HEAD or POST`);
  }
  if (methods.length === 0) throw new RangeError("--methods: none given");
  const paths = v.paths === undefined
    ? [...defaultPaths]
    : v.paths.split(",").filter((p) => p !== "");
  if (paths.length === 0 || paths.some((p) => !p.startsWith("/"))) {
    throw new RangeError("--paths: expected URL paths starting with /, separated by commas");
  }
  return {
    url,
    clients: int("clients", v.clients, 16, LIMITS.clients),
    seconds: int("duration", v.duration, 10, LIMITS.seconds),
    requests: v.requests === undefined ? Infinity : int("requests", v.requests, 0, LIMITS.requests),
    methods,
    paths,
    timeoutMs: int("timeout", v.timeout, 10_000, LIMITS.timeoutMs),
    allowRemote: v["allow-remote"] ?? false,
  };
}

/**
 * Whether a URL host is this machine's loopback (localhost, 127.0.0.0/8, ::1), which a stress
 * run may load without `--allow-remote`.
 * @example
 * isLoopback("127.0.0.2"); // true
 * isLoopback("example.com"); // false
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (h.toLowerCase() === "localhost") return true;
  if (!ipaddr.isValid(h)) return false;
  const a = ipaddr.process(h); // IPv4-mapped IPv6 as IPv4
  return a.range() === "loopback";
}

/** Relative width of a histogram bucket: percentiles are within 2% of the true value. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Latencies below this many µs share the first bucket. */
const MIN_US = 10;

/** Request latencies, in logarithmic buckets: bounded memory whatever the run's length. */
export class LatencyHistogram {
  readonly #counts: number[] = [];
  count = 0;
  maxUs = 0;

  /** Record one latency in microseconds. */
  record(us: number): void {
    const i = us <= MIN_US ? 0 : Math.ceil(Math.log(us / MIN_US) / LOG_GROWTH);
    while (this.#counts.length <= i) this.#counts.push(0);
    this.#counts[i]!++;
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
  }

  /**
   * The latency at or below which `p` percent of requests finished (nearest rank), as the upper
   * bound of its bucket (at most 2% above the true value, never above the maximum); 0 when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(MIN_US * GROWTH ** i, this.maxUs);
    }
    return this.maxUs;
  }
}

/** A latency for people: "850us", "12.3ms", "1.20s". */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** What a run counted. */
export interface Tally {
  requests: number;
  errors: number;
  /** Responses by status code. */
  readonly statuses: Map<number, number>;
  /** Failures by kind ("connect", "timeout", "closed", "bad response", "5xx"). */
  readonly failures: Map<string, number>;
  readonly latency: LatencyHistogram;
}

export function newTally(): Tally {
  return {
    requests: 0,
    errors: 0,
    statuses: new Map(),
    failures: new Map(),
    latency: new LatencyHistogram(),
  };
}

/** The live progress line. */
export function progressLine(t: Tally, elapsedS: number, totalS: number, clients: number): string {
  const rate = elapsedS > 0 ? t.requests / elapsedS : 0;
  return `${elapsedS.toFixed(1)}/${totalS}s  ${clients} clients  ${t.requests} requests  ` +
    `${rate.toFixed(0)} req/s  ${t.errors} errors  p50 ${formatUs(t.latency.percentile(50))}`;
}

/** The summary printed at the end. */
export function summary(o: StressOptions, t: Tally, elapsedS: number): string {
  const statuses = [...t.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
  const failures = [...t.failures].sort(([, a], [, b]) => b - a).map(([k, n]) => `${k}: ${n}`);
  const h = t.latency;
  return [
    `stress ${o.url}: ${o.clients} clients, ${elapsedS.toFixed(1)} s, ` +
    `${o.methods.join("/")} of ${o.paths.length} path(s)`,
    `requests  ${t.requests} (${(t.requests / Math.max(elapsedS, 0.001)).toFixed(1)}/s)`,
    `errors    ${t.errors}${failures.length === 0 ? "" : ` (${failures.join(", ")})`}`,
    `statuses  ${statuses.length === 0 ? "none" : statuses.join(", ")}`,
    `latency   p50 ${formatUs(h.percentile(50))}  p90 ${formatUs(h.percentile(90))}  ` +
    `p99 ${formatUs(h.percentile(99))}  p99.9 ${formatUs(h.percentile(99.9))}  ` +
    `max ${formatUs(h.maxUs)}`,
  ].join("\n");
}
