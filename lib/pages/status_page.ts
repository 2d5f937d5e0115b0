/**
 * The status page's data and its machine-readable forms: which view a request asks for, the
 * snapshot type, JSON (`?json`) and Prometheus text format 0.0.4 (`<path>/metrics`). The HTML
 * view is in status_html.ts. Pure: no Deno.*, no I/O.
 * @module
 */

import { decimal } from "../http/digits.ts";

/** One worker thread of this instance. */
export interface WorkerRow {
  readonly id: number;
  /** "starting", "ready", "silent" (no report for 3 s), "stopping" or "stopped". */
  readonly state: string;
  readonly connections: number;
  readonly requests: number;
  readonly bytes: number;
  readonly lastHeardMs: number;
}

/** One resource in a top-resources table. */
export interface ResourceRow {
  readonly name: string;
  readonly count: number;
  readonly lastClient: string;
  readonly lastMs: number;
}

/** Request counters (instance-wide or cluster-wide). */
export interface CountersView {
  readonly requests: number;
  readonly bytes: number;
  /** Responses by status class 1xx..5xx. */
  readonly classes: readonly number[];
  /** Most requested first: files and folders (names starting with "/"). */
  readonly resources: readonly ResourceRow[];
  /**
   * Responses counted under a pseudo name rather than a resource ("(404)", "(unparsed)",
   * "(other)"...: see session/counters.ts), most first; absent before splitCounters().
   */
  readonly other?: readonly ResourceRow[];
}

/** Rows of the top-resources table. */
export const RESOURCE_ROWS = 25;

/**
 * Counters as the page shows them: the RESOURCE_ROWS most requested resources in one table,
 * and the responses counted under pseudo names ("(404)") apart, so that errors do not read as
 * the site's most requested resources nor push real ones off the table.
 */
export function splitCounters(c: CountersView): CountersView {
  const resources: ResourceRow[] = [];
  const other: ResourceRow[] = [...(c.other ?? [])];
  for (const r of c.resources) {
    if (!r.name.startsWith("/")) other.push(r);
    else if (resources.length < RESOURCE_ROWS) resources.push(r);
  }
  other.sort((a, b) => b.count - a.count);
  return { ...c, resources, other };
}

/** Session counts summed over the workers. */
export interface SessionsView {
  readonly enabled: boolean;
  readonly issued: number;
  readonly resumed: number;
  readonly rejected: number;
  readonly renewed: number;
  readonly lookups: number;
  readonly unavailable: number;
}

/** The session/counter store. */
export interface StoreView {
  /** "memcached" or "memory" (no Memcached configured). */
  readonly kind: string;
  readonly servers: string;
  /** "up", "down", "starting" or "off". */
  readonly state: string;
  readonly sinceMs: number;
  readonly detail: string;
}

/** This server instance, as the main thread aggregates it from its workers. */
export interface InstanceView {
  readonly server: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedMs: number;
  readonly nowMs: number;
  readonly workers: readonly WorkerRow[];
  readonly restarts: number;
  readonly connections: number;
  readonly requests: number;
  readonly bytes: number;
  /** Over the last few seconds. */
  readonly requestsPerSec: number;
  readonly bytesPerSec: number;
  readonly counters: CountersView;
  readonly sessions: SessionsView;
  readonly store: StoreView;
}

/** Everything one status page shows. */
export interface StatusSnapshot {
  readonly generatedMs: number;
  /** The worker that served the page. */
  readonly servedBy: number;
  /** Null when the main thread did not answer in time. */
  readonly instance: InstanceView | null;
  /** Counters shared by every instance (memcached), or null when there is no shared store. */
  readonly cluster: CountersView | null;
}

/** Which view a status request asks for. */
export interface StatusView {
  readonly kind: "html" | "json" | "metrics";
  /** HTML refresh interval in seconds (0 = none). */
  readonly refreshS: number;
}

/** Default HTML refresh interval. */
export const DEFAULT_REFRESH_S = 5;
const MAX_REFRESH_S = 3600;

/**
 * The view a request target asks for, or null when it is not a status URL.
 * `<path>` → HTML, `<path>?json` → JSON, `<path>/metrics` → Prometheus; `refresh=N` (0-3600)
 * sets the HTML refresh interval.
 * @example
 * statusView("/server-status?json", "/server-status"); // { kind: "json", refreshS: 5 }
 */
export function statusView(target: string, path: string): StatusView | null {
  const q = target.indexOf("?");
  const p = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q + 1);
  let kind: StatusView["kind"];
  if (p === path) kind = "html";
  else if (p === `${path}/metrics` || (path.endsWith("/") && p === `${path}metrics`)) {
    kind = "metrics";
  } else return null;
  let refreshS = DEFAULT_REFRESH_S;
  for (const part of query.split("&")) {
    if (part === "json" || part.startsWith("json=")) kind = kind === "html" ? "json" : kind;
    if (part.startsWith("refresh=")) refreshS = decimal(part.slice(8), 6) ?? refreshS;
  }
  return { kind, refreshS: Math.min(refreshS, MAX_REFRESH_S) };
}

/** The JSON view. */
export function renderStatusJson(s: StatusSnapshot): string {
  return JSON.stringify(s, null, 2) + "\n";
}

/** Content-Type of the Prometheus view. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/** Escape a label value (text format 0.0.4: backslash, double quote, line feed). */
export function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

class Metrics {
  out = "";
  family(name: string, type: "counter" | "gauge", help: string): this {
    this.out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    return this;
  }
  sample(name: string, value: number, labels: Readonly<Record<string, string>> = {}): this {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
    this.out += `${name}${l === "" ? "" : `{${l}}`} ${Number.isFinite(value) ? value : 0}\n`;
    return this;
  }
}

function counterMetrics(m: Metrics, prefix: string, c: CountersView, scope: string): void {
  m.family(`${prefix}_requests_total`, "counter", `Requests answered (${scope}).`)
    .sample(`${prefix}_requests_total`, c.requests);
  m.family(`${prefix}_sent_bytes_total`, "counter", `Bytes sent (${scope}).`)
    .sample(`${prefix}_sent_bytes_total`, c.bytes);
  m.family(`${prefix}_responses_total`, "counter", `Responses by status class (${scope}).`);
  CLASSES.forEach((k, i) => m.sample(`${prefix}_responses_total`, c.classes[i] ?? 0, { class: k }));
  m.family(
    `${prefix}_resource_requests_total`,
    "counter",
    `Requests per resource (${scope}, top).`,
  );
  for (const r of c.resources) {
    m.sample(`${prefix}_resource_requests_total`, r.count, { resource: r.name });
  }
  if (c.other === undefined || c.other.length === 0) return;
  m.family(
    `${prefix}_other_requests_total`,
    "counter",
    `Responses counted by status rather than by resource (${scope}).`,
  );
  for (const r of c.other) m.sample(`${prefix}_other_requests_total`, r.count, { name: r.name });
}

/** The Prometheus view (text format 0.0.4). */
export function renderStatusMetrics(s: StatusSnapshot): string {
  const m = new Metrics();
  const i = s.instance;
  if (i !== null) {
    m.family("httpserver_uptime_seconds", "gauge", "Seconds since this instance started.")
      .sample("httpserver_uptime_seconds", Math.floor((i.nowMs - i.startedMs) / 1000));
    m.family("httpserver_workers", "gauge", "Worker threads by state.");
    const states = new Map<string, number>();
    for (const w of i.workers) states.set(w.state, (states.get(w.state) ?? 0) + 1);
    for (const [state, n] of states) m.sample("httpserver_workers", n, { state });
    m.family("httpserver_worker_restarts_total", "counter", "Workers replaced after dying.")
      .sample("httpserver_worker_restarts_total", i.restarts);
    m.family("httpserver_connections", "gauge", "Open client connections.")
      .sample("httpserver_connections", i.connections);
    m.family("httpserver_requests_per_second", "gauge", "Recent request rate.")
      .sample("httpserver_requests_per_second", round2(i.requestsPerSec));
    m.family("httpserver_sent_bytes_per_second", "gauge", "Recent send rate.")
      .sample("httpserver_sent_bytes_per_second", Math.round(i.bytesPerSec));
    counterMetrics(m, "httpserver", i.counters, "this instance");
    const ss = i.sessions;
    m.family("httpserver_sessions_total", "counter", "Session cookie outcomes.");
    for (
      const k of ["issued", "resumed", "rejected", "renewed", "lookups", "unavailable"] as const
    ) {
      m.sample("httpserver_sessions_total", ss[k], { outcome: k });
    }
    m.family("httpserver_session_store_up", "gauge", "1 when the session store is reachable.")
      .sample("httpserver_session_store_up", i.store.state === "down" ? 0 : 1, {
        store: i.store.kind,
        servers: i.store.servers,
      });
  }
  if (s.cluster !== null) counterMetrics(m, "httpserver_cluster", s.cluster, "all instances");
  return m.out;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
