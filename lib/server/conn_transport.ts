/**
 * The Transport of an accepted `Deno.Conn`, calling the runtime's read and write ops directly
 * when the runtime lets us.
 *
 * Deno's public `Conn.read` is an async function around the read op that also keeps the op's
 * promise in a Set (for `unref()`), and `Conn.write` is an async function around the write op:
 * per request that is two extra promises, their microtasks and a Set insert and delete. Called
 * directly, the ops do the same I/O with the same errors, ~0.4 µs cheaper (docs/PERFORMANCE.md).
 *
 * The ops are not public API: `Deno[Deno.internal].core` and the connection's resource id under
 * `core.internalRidSymbol`. When either is missing (another Deno), this falls back to the
 * public `Conn` methods; `directOpsAvailable()` says which one runs, and a test pins it for the
 * Deno this project ships with, so an upgrade that removes them is noticed, not silently slower.
 *
 * A read returns 0 at end of stream (the op's answer) where `Conn.read` returns null; the
 * Transport contract allows both. Reads are never given an empty buffer (for which the op also
 * answers 0).
 * @module
 */

import type { Transport } from "./transport.ts";

interface CoreOps {
  read(rid: number, p: Uint8Array): Promise<number>;
  write(rid: number, p: Uint8Array): Promise<number>;
  /** The key under which a Conn keeps its resource id. */
  internalRidSymbol: symbol;
}

/** The runtime's op bindings, or null when this Deno does not expose them. */
function findCore(): CoreOps | null {
  const d = Deno as unknown as Record<symbol, unknown> & { internal?: symbol };
  const key = d.internal;
  if (typeof key !== "symbol") return null;
  const core = (d[key] as { core?: Partial<CoreOps> } | undefined)?.core;
  if (
    typeof core?.read !== "function" || typeof core.write !== "function" ||
    typeof core.internalRidSymbol !== "symbol"
  ) {
    return null;
  }
  return core as CoreOps;
}

const core = findCore();

/** The resource id of a connection, or null when it has none we can read. */
function ridOf(conn: Deno.Conn): number | null {
  if (core === null) return null;
  const rid = (conn as unknown as Record<symbol, unknown>)[core.internalRidSymbol];
  return typeof rid === "number" && Number.isInteger(rid) && rid >= 0 ? rid : null;
}

/** Reads and writes straight through the runtime's ops; everything else through the Conn. */
class OpTransport implements Transport {
  readonly #rid: number;
  readonly #core: CoreOps;
  readonly #conn: Deno.Conn;

  constructor(rid: number, ops: CoreOps, conn: Deno.Conn) {
    this.#rid = rid;
    this.#core = ops;
    this.#conn = conn;
  }

  setNoDelay(on: boolean): void {
    (this.#conn as Partial<Deno.TcpConn>).setNoDelay?.(on);
  }

  read(p: Uint8Array): Promise<number> {
    return this.#core.read(this.#rid, p);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#core.write(this.#rid, p);
  }

  /** Through the public Conn, which also forgets the resource (closing is not per request). */
  close(): void {
    this.#conn.close();
  }
}

/**
 * The transport for an accepted connection.
 * @param conn the connection (a `Deno.TcpConn` from `Deno.listen`)
 * @param direct use the ops when available (false forces the public API, for tests)
 */
export function connTransport(conn: Deno.Conn, direct = true): Transport {
  const rid = direct ? ridOf(conn) : null;
  return rid === null ? conn : new OpTransport(rid, core!, conn);
}

/** Whether connections of this Deno get the direct-op transport. */
export function directOpsAvailable(conn: Deno.Conn): boolean {
  return ridOf(conn) !== null;
}
