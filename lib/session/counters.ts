/**
 * Request counters: per resource (with the last client), per status class, bytes sent.
 *
 * A worker tallies into a `Counters` (a few map operations per request) and hands out the
 * increments since the last flush as a `CounterBatch`, at most once a second; the batch goes to
 * the shared store (memcached `incr`, so counts are cluster-wide) and to the main thread (which
 * sums the instance with a `CounterAggregate`). Pure: no Deno.*, no I/O.
 * @module
 */

/** Status classes, in the order of every `classes` array. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * Most distinct resources an aggregate keeps (and a tally, unless told fewer: MaxCounterNames);
 * the rest count as OTHER_RESOURCE.
 */
export const MAX_RESOURCES = 10_000;
/** Where resources past MAX_RESOURCES are counted. */
export const OTHER_RESOURCE = "(other)";
/** Longest resource name kept; longer paths are cut (and so share a counter). */
export const MAX_RESOURCE_NAME = 200;

/** One resource's increments in a batch: name, count, last client ("ip:port"), its time. */
export type ResourceDelta = readonly [name: string, count: number, client: string, ms: number];

/** Increments since the last flush. */
export interface CounterBatch {
  readonly requests: number;
  readonly bytes: number;
  /** Responses per status class, indexed like STATUS_CLASSES. */
  readonly classes: readonly number[];
  readonly resources: readonly ResourceDelta[];
}

/** One row of a top-resources table. */
export interface ResourceCount {
  readonly name: string;
  readonly count: number;
  readonly lastClient: string;
  readonly lastMs: number;
}

/** Totals as the status page shows them. */
export interface CounterTotals {
  readonly requests: number;
  readonly bytes: number;
  readonly classes: readonly number[];
  /** Most requested first; at most the number asked for. */
  readonly resources: readonly ResourceCount[];
}

/**
 * The counter part of a store. `addCounts` returns new totals by resource name; it throws
 * PartlyCounted when part of the batch may have been applied (offering it again would count
 * that part twice), any other error when nothing was.
 */
export interface CounterStore {
  addCounts(batch: CounterBatch): Promise<ReadonlyMap<string, number>>;
  readCounts(top: number): Promise<CounterTotals>;
}

/** addCounts failed after the batch was sent: some increments may have been applied. */
export class PartlyCounted extends Error {
  override name = "PartlyCounted";
}

/**
 * The resource a request counts under: its path (query removed), cut to MAX_RESOURCE_NAME.
 * @example
 * resourceName("/a/b.html?x=1"); // "/a/b.html"
 */
export function resourceName(target: string): string {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  return path.length > MAX_RESOURCE_NAME ? path.slice(0, MAX_RESOURCE_NAME) : path;
}

/**
 * The name a response counts under: its resource for a success or redirect; for an error
 * `(404)`, `(500)`... so that scanners probing random URLs cannot flood the tables (the
 * shared index is bounded) with names of files that do not exist.
 * @param resource what the request names once resolved (server/request_counters.ts: the
 *   decoded path, whatever query, host or percent-encoding the target had), or null when the
 *   request did not parse
 * @example
 * counterName("/a.css", 200); // "/a.css"
 * counterName("/wp-login.php", 404); // "(404)"
 */
export function counterName(resource: string | null, status: number): string {
  if (resource === null) return "(unparsed)";
  return status >= 400 ? `(${status})` : resourceName(resource);
}

/** Index into STATUS_CLASSES, or -1 for a status outside 100..599. */
export function statusClass(status: number): number {
  return status >= 100 && status <= 599 ? Math.floor(status / 100) - 1 : -1;
}

/** A client as a connection knows it; formatted only when a batch is taken. */
export interface ClientAddress {
  readonly ip: string;
  readonly port: number;
}

/**
 * "ip:port", IPv6 in brackets.
 * @example
 * formatClient({ ip: "::1", port: 80 }); // "[::1]:80"
 */
export function formatClient(c: ClientAddress): string {
  return c.ip.includes(":") ? `[${c.ip}]:${c.port}` : `${c.ip}:${c.port}`;
}

interface Tally {
  count: number;
  client: ClientAddress | null;
  ms: number;
}

/** A worker's tallies since the last flush, plus the last known total per resource. */
export class Counters {
  /** Distinct names per tally (MaxCounterNames); the rest count as OTHER_RESOURCE. */
  readonly #maxNames: number;
  #requests = 0;
  #bytes = 0;
  #classes = [0, 0, 0, 0, 0];
  #resources = new Map<string, Tally>();
  /** Last total the store reported per resource (for the debug line's count). */
  readonly #known = new Map<string, number>();

  /** @param maxNames distinct resources counted by name per tally (per flush interval) */
  constructor(maxNames: number = MAX_RESOURCES) {
    this.#maxNames = Math.min(maxNames, MAX_RESOURCES);
  }

  /**
   * Count one response.
   * @returns the best known total for this resource (store total + not yet flushed)
   */
  record(
    resource: string,
    status: number,
    bytes: number,
    client: ClientAddress | null,
    nowMs: number,
  ): number {
    this.#requests++;
    this.#bytes += bytes;
    const c = statusClass(status);
    if (c >= 0) this.#classes[c]!++;
    let name = resource;
    let t = this.#resources.get(name);
    if (t === undefined) {
      if (this.#resources.size >= this.#maxNames) name = OTHER_RESOURCE;
      t = this.#resources.get(name);
      if (t === undefined) {
        t = { count: 0, client, ms: nowMs };
        this.#resources.set(name, t);
      }
    }
    t.count++;
    t.client = client;
    t.ms = nowMs;
    return (this.#known.get(name) ?? 0) + t.count;
  }

  /** The increments since the last call, or null when nothing was counted; resets them. */
  take(): CounterBatch | null {
    if (this.#requests === 0) return null;
    const resources: ResourceDelta[] = [];
    for (const [name, t] of this.#resources) {
      resources.push([name, t.count, t.client === null ? "-" : formatClient(t.client), t.ms]);
    }
    const batch = {
      requests: this.#requests,
      bytes: this.#bytes,
      classes: this.#classes,
      resources,
    };
    this.#requests = 0;
    this.#bytes = 0;
    this.#classes = [0, 0, 0, 0, 0];
    this.#resources = new Map();
    return batch;
  }

  /** Remember the totals a store reported after a flush. */
  learn(totals: ReadonlyMap<string, number>): void {
    for (const [name, n] of totals) {
      if (this.#known.size >= MAX_RESOURCES && !this.#known.has(name)) continue;
      this.#known.set(name, n);
    }
  }
}

/** Combine two batches (e.g. one the store could not take with the next). */
export function mergeBatches(a: CounterBatch, b: CounterBatch): CounterBatch {
  const agg = new CounterAggregate();
  agg.add(a);
  agg.add(b);
  return agg.asBatch();
}

interface Row {
  count: number;
  client: string;
  ms: number;
}

/** Running totals built from batches (the main thread's instance view; the in-process store). */
export class CounterAggregate {
  requests = 0;
  bytes = 0;
  readonly classes = [0, 0, 0, 0, 0];
  readonly #rows = new Map<string, Row>();

  /**
   * Add a batch.
   * @returns the new total of each resource in the batch
   */
  add(batch: CounterBatch): Map<string, number> {
    this.requests += batch.requests;
    this.bytes += batch.bytes;
    for (let i = 0; i < this.classes.length; i++) this.classes[i]! += batch.classes[i] ?? 0;
    const totals = new Map<string, number>();
    for (const [name, count, client, ms] of batch.resources) {
      let key = name;
      let row = this.#rows.get(key);
      if (row === undefined && this.#rows.size >= MAX_RESOURCES) {
        key = OTHER_RESOURCE;
        row = this.#rows.get(key);
      }
      if (row === undefined) {
        row = { count: 0, client, ms };
        this.#rows.set(key, row);
      }
      row.count += count;
      if (ms >= row.ms) {
        row.client = client;
        row.ms = ms;
      }
      totals.set(name, row.count);
    }
    return totals;
  }

  /** Totals with the `top` most requested resources. */
  totals(top: number): CounterTotals {
    return {
      requests: this.requests,
      bytes: this.bytes,
      classes: [...this.classes],
      resources: topResources(this.#rows, top),
    };
  }

  /** Everything as one batch. */
  asBatch(): CounterBatch {
    const resources: ResourceDelta[] = [];
    for (const [name, r] of this.#rows) resources.push([name, r.count, r.client, r.ms]);
    return { requests: this.requests, bytes: this.bytes, classes: [...this.classes], resources };
  }
}

function topResources(rows: ReadonlyMap<string, Row>, top: number): ResourceCount[] {
  const all: ResourceCount[] = [];
  for (const [name, r] of rows) {
    all.push({ name, count: r.count, lastClient: r.client, lastMs: r.ms });
  }
  all.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return all.slice(0, Math.max(0, top));
}

/** Sort and cut rows gathered elsewhere (e.g. from memcached) like CounterAggregate.totals. */
export function sortTop(rows: readonly ResourceCount[], top: number): ResourceCount[] {
  const m = new Map<string, Row>();
  for (const r of rows) m.set(r.name, { count: r.count, client: r.lastClient, ms: r.lastMs });
  return topResources(m, top);
}
