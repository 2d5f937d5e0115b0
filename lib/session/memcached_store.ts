/**
 * The memcached store (the only importer of npm:memjs): sessions and cluster-wide counters
 * shared by every instance pointing at the same servers.
 *
 * Keys (all ASCII, well under memcached's 250-byte limit):
 *
 * ```
 *   hs:s:<id>        session record, compact JSON, expires SessionTTL after its last write
 *   hs:t:<total>     counters "req", "bytes", "1xx".."5xx" (incr)
 *   hs:r:<hash>      requests for one resource (incr); <hash> = 64-bit FNV-1a of its name (UTF-8)
 *   hs:l:<hash>      "<epoch ms> <client>" of the last request for it
 *   hs:idx           resource names, one per line (append): memcached cannot list keys
 * ```
 *
 * Counter items (hs:t, hs:r, hs:l, hs:idx) expire CounterTTL after they were last counted, so
 * names nobody asks for any more leave memcached: `incr` and `append` set an expiry only when
 * they create an item, so a store touches the items it counts again once a quarter of the TTL
 * has passed (at most one `touch` per key and quarter TTL per worker).
 *
 * Methods throw when a server cannot be reached or does not answer within the timeout;
 * the ResilientStore turns that into a fallback. Protocol-level refusals (an append to a
 * missing key) are handled here.
 * @module
 */

import memjs from "memjs";
import { fnv1a64Hex } from "../util/fnv.ts";
import { DEFAULT_COUNTER_TTL_S } from "../config/defaults.ts";
import { trimOldest } from "../util/map_trim.ts";
import {
  type CounterBatch,
  type CounterStore,
  type CounterTotals,
  PartlyCounted,
  type ResourceCount,
  sortTop,
  STATUS_CLASSES,
} from "./counters.ts";
import {
  decodeRecord,
  encodeRecord,
  mergeRecord,
  type SessionRecord,
  type SessionStore,
  type SessionUpdate,
} from "./session.ts";

/** Most resource names kept in the shared index (the status page's cluster-wide table). */
export const MAX_INDEX = 1000;
const PREFIX = "hs:";
const INDEX_KEY = `${PREFIX}idx`;
const UINT32_MAX = 0xffffffff;
/** memcached reads an expiry above 30 days as an absolute Unix time. */
const MAX_RELATIVE_EXPIRY_S = 30 * 24 * 60 * 60;
const TOTAL_KEYS = ["req", "bytes", ...STATUS_CLASSES].map((k) => `${PREFIX}t:${k}`);
const utf8 = new TextEncoder();
/** Keys whose last touch a store remembers (more are touched again sooner, never missed). */
const MAX_TOUCHED = 4 * MAX_INDEX;

/** The part of memjs's Client we use (memjs ships no types). */
interface MemjsClient {
  get(key: string): Promise<{ value: Uint8Array | null }>;
  set(key: string, value: string, o: { expires: number }): Promise<boolean>;
  add(key: string, value: string, o: { expires: number }): Promise<boolean>;
  append(key: string, value: string): Promise<boolean>;
  increment(
    key: string,
    amount: number,
    o: { initial: number; expires: number },
  ): Promise<{ success: boolean; value: number | null }>;
  touch(key: string, expires: number): Promise<boolean>;
  close(): void;
}

/** Where and how to reach memcached. */
export interface MemcachedOptions {
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  /** Per-operation timeout (memjs `timeout`; connecting gets twice this). */
  readonly timeoutMs: number;
  /** CounterTTL: counter items expire this long (seconds, at most 30 days) after their last count. */
  readonly counterTtlS?: number;
  /** The clock of the touch schedule (tests). */
  readonly now?: () => number;
}

/** Sessions and counters in memcached. */
export class MemcachedStore implements SessionStore, CounterStore {
  /** "host:port, host:port" for log lines and the status page. */
  readonly description: string;
  readonly #client: MemjsClient;
  readonly #indexed = new Set<string>();
  readonly #ttlS: number;
  readonly #now: () => number;
  /** When each counter key's expiry was last pushed back (epoch ms). */
  readonly #touched = new Map<string, number>();

  constructor(o: MemcachedOptions) {
    const list = o.servers.map((s) =>
      (s.host.includes(":") ? `[${s.host}]` : s.host) + `:${s.port}`
    );
    this.description = list.join(", ");
    this.#ttlS = Math.min(o.counterTtlS ?? DEFAULT_COUNTER_TTL_S, MAX_RELATIVE_EXPIRY_S);
    this.#now = o.now ?? Date.now;
    // Servers are built directly: memjs's Client.create splits "host:port" at the first ":",
    // which breaks IPv6 addresses.
    const serverOpts = {
      timeout: o.timeoutMs / 1000,
      conntimeout: (2 * o.timeoutMs) / 1000,
      keepAlive: true,
    };
    const servers = o.servers.map((s) =>
      new memjs.Server(s.host, s.port, undefined, undefined, serverOpts)
    );
    this.#client = new memjs.Client(servers, {
      retries: 1, // no silent retry: the caller falls back and retries in the background
      failover: o.servers.length > 1,
      failoverTime: 5,
      logger: { log() {} }, // memjs logs to console by default; errors reach us as values
    }) as MemjsClient;
  }

  /**
   * One round trip (throws when it fails). It reads the resource index, so after an outage
   * (memcached may have restarted empty) names are indexed again as needed.
   */
  async ping(): Promise<void> {
    this.#learnIndex((await this.#client.get(INDEX_KEY)).value);
  }

  /**
   * Take the server's index as what is indexed (names it lost are appended again when next
   * counted); returns its names (at most MAX_INDEX).
   */
  #learnIndex(value: Uint8Array | null): Set<string> {
    const names = new Set<string>();
    if (value !== null) {
      for (const n of new TextDecoder().decode(value).split("\n")) {
        if (n !== "" && names.size < MAX_INDEX) names.add(n);
      }
    }
    this.#indexed.clear();
    for (const n of names) this.#indexed.add(n);
    return names;
  }

  /** Close the connections. */
  close(): void {
    try {
      this.#client.close();
    } catch { /* already closed */ }
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const r = await this.#client.get(`${PREFIX}s:${id}`);
    return r.value === null ? null : decodeRecord(new TextDecoder().decode(r.value));
  }

  async putSessions(updates: readonly SessionUpdate[], ttlS: number): Promise<void> {
    const expires = ttlS > MAX_RELATIVE_EXPIRY_S ? Math.floor(Date.now() / 1000) + ttlS : ttlS;
    await Promise.all(updates.map(async (u) => {
      const key = `${PREFIX}s:${u.id}`;
      const old = await this.#client.get(key);
      const prev = old.value === null ? null : decodeRecord(new TextDecoder().decode(old.value));
      await this.#client.set(key, encodeRecord(mergeRecord(prev, u)), { expires });
    }));
  }

  /**
   * Add a batch: incr per total and resource, in parallel.
   * @throws PartlyCounted when an operation failed once the batch was under way (memjs reports
   *   its own timeout, "socket timed out waiting on response", as a plain Error: the increments
   *   already answered, or still in flight, count); the error itself when memcached could not be
   *   reached at all (nothing was applied)
   */
  async addCounts(batch: CounterBatch): Promise<ReadonlyMap<string, number>> {
    try {
      return await this.#addCounts(batch);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (/connect|No servers available/i.test(why)) throw e;
      throw new PartlyCounted(why);
    }
  }

  async #addCounts(batch: CounterBatch): Promise<ReadonlyMap<string, number>> {
    const totals = new Map<string, number>();
    const amounts = [batch.requests, batch.bytes, ...batch.classes];
    const ops: Promise<unknown>[] = TOTAL_KEYS.map((k, i) => this.#incr(k, amounts[i] ?? 0));
    for (const [name, count, client, ms] of batch.resources) {
      const h = resourceHash(name);
      ops.push(this.#index(name));
      ops.push(this.#incr(`${PREFIX}r:${h}`, count).then((v) => v !== null && totals.set(name, v)));
      ops.push(this.#client.set(`${PREFIX}l:${h}`, `${ms} ${client}`, { expires: this.#ttlS }));
    }
    await Promise.all(ops);
    trimOldest(this.#touched, MAX_TOUCHED);
    return totals;
  }

  /**
   * Push a counter item's expiry back to CounterTTL from now, unless this store did so less than
   * a quarter of the TTL ago (an item created by incr or add got it then).
   */
  async #keepAlive(key: string): Promise<void> {
    const now = this.#now();
    const last = this.#touched.get(key);
    if (last !== undefined && now - last < (this.#ttlS * 1000) / 4) return;
    this.#touched.set(key, now);
    await ignoreRefusal(this.#client.touch(key, this.#ttlS));
  }

  /** incr by any amount (memjs takes uint32), creating the key; the new value or null. */
  async #incr(key: string, amount: number): Promise<number | null> {
    let left = amount;
    let value: number | null = null;
    while (left > 0) {
      const step = Math.min(left, UINT32_MAX);
      const r = await ignoreRefusal(
        this.#client.increment(key, step, { initial: step, expires: this.#ttlS }),
      );
      value = r === null ? null : r.value;
      left -= step;
    }
    if (amount > 0) await this.#keepAlive(key);
    return value;
  }

  async #index(name: string): Promise<void> {
    if (this.#indexed.has(name) || this.#indexed.size >= MAX_INDEX) {
      if (this.#indexed.size > 0) await this.#keepAlive(INDEX_KEY);
      return;
    }
    this.#indexed.add(name);
    const line = `${name.replace(/[\r\n]/g, " ")}\n`;
    const expires = this.#ttlS;
    if (
      (await ignoreRefusal(this.#client.append(INDEX_KEY, line))) !== true &&
      (await ignoreRefusal(this.#client.add(INDEX_KEY, line, { expires }))) !== true
    ) {
      await ignoreRefusal(this.#client.append(INDEX_KEY, line)); // another worker added it first
    }
    await this.#keepAlive(INDEX_KEY);
  }

  async readCounts(top: number): Promise<CounterTotals> {
    const [totals, idx] = await Promise.all([
      Promise.all(TOTAL_KEYS.map((k) => this.#number(k))),
      this.#client.get(INDEX_KEY),
    ]);
    const names = this.#learnIndex(idx.value);
    const rows = await Promise.all([...names].map(async (name): Promise<ResourceCount> => {
      const count = await this.#number(`${PREFIX}r:${resourceHash(name)}`);
      return { name, count, lastClient: "", lastMs: 0 };
    }));
    const best = await Promise.all(sortTop(rows, top).map((r) => this.#withLast(r)));
    return {
      requests: totals[0] ?? 0,
      bytes: totals[1] ?? 0,
      classes: totals.slice(2),
      resources: best,
    };
  }

  async #number(key: string): Promise<number> {
    const r = await this.#client.get(key);
    return r.value === null ? 0 : (parseDecimal(r.value, 0, r.value.length) ?? 0);
  }

  async #withLast(r: ResourceCount): Promise<ResourceCount> {
    const v = (await this.#client.get(`${PREFIX}l:${resourceHash(r.name)}`)).value;
    if (v === null) return r;
    let sp = 0;
    while (sp < v.length && v[sp] !== 0x20) sp++;
    const ms = parseDecimal(v, 0, sp);
    const client = new TextDecoder().decode(v.subarray(sp + 1));
    return ms === null ? r : { ...r, lastClient: client, lastMs: ms };
  }
}

/** memjs reports a server's refusal (not stored, not numeric...) as an Error "MemJS ...". */
async function ignoreRefusal<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("MemJS ")) return null;
    throw e;
  }
}

/**
 * ASCII digits in `b[start..end)` as a safe integer, or null (empty, non-digit, overflow).
 * @example
 * parseDecimal(new TextEncoder().encode("42"), 0, 2); // 42
 */
export function parseDecimal(b: Uint8Array, start: number, end: number): number | null {
  if (end <= start) return null;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    if (n > (Number.MAX_SAFE_INTEGER - d) / 10) return null;
    n = n * 10 + d;
  }
  return n;
}

/**
 * 64-bit FNV-1a of a name's UTF-8 bytes as 16 hex digits, so any resource name makes a short,
 * safe memcached key.
 * @example
 * resourceHash("foobar"); // "85944171f73967e8"
 */
export function resourceHash(name: string): string {
  return fnv1a64Hex(utf8.encode(name));
}
