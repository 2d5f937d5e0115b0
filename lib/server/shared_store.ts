/**
 * A worker's shared store: memcached when `Memcached` is set, the in-process store while it is
 * not or while memcached is unreachable (ResilientStore). Sessions, counters and the status
 * page share it; the main thread hears when it goes down or comes back.
 * @module
 */

import type { Config } from "../config/config.ts";
import { MemcachedStore } from "../session/memcached_store.ts";
import { MemoryStore } from "../session/memory_store.ts";
import { ResilientStore } from "../session/resilient_store.ts";
import type { FromWorker } from "./messages.ts";

/** Open (and start probing) the store of worker `id`. */
export function openSharedStore(
  config: Config,
  id: number,
  post: (m: FromWorker) => void,
): ResilientStore {
  const primary = config.memcached.length === 0 ? null : new MemcachedStore({
    servers: config.memcached,
    timeoutMs: config.memcachedTimeoutMs,
    counterTtlS: config.counterTtlS,
  });
  const store = new ResilientStore({
    primary,
    fallback: new MemoryStore(),
    timeoutMs: config.memcachedTimeoutMs,
    onChange: (e) => post({ type: "store", id, ...e, servers: primary?.description ?? "" }),
  });
  store.start();
  return store;
}
