/**
 * The idle-connection case: open many keep-alive connections, each serving one GET, leave
 * them idle, measure the server's resident memory before and after, then check that every
 * connection still answers a second request.
 * @module
 */

import { closeQuietly, getOnce } from "./http_probe.ts";
import { treeRssKiB } from "./proc.ts";

/** Result of one idle-connection run. */
export interface IdleResult {
  /** Connections asked for. */
  readonly requested: number;
  /** Connections that opened and answered the first GET with 200. */
  readonly opened: number;
  /** Connections that answered the second GET with 200 after idling. */
  readonly servedAfter: number;
  /** Server RSS (process tree) before opening, KiB. */
  readonly rssBeforeKiB: number;
  /** Server RSS with all connections open and idle, KiB. */
  readonly rssAfterKiB: number;
  /** (after - before) / opened, KiB. */
  readonly perConnKiB: number;
  /** Processes in the server's tree (ours: 1; nginx: master + workers). */
  readonly processes: number;
  /** Milliseconds from the first connect to the last first response. */
  readonly openMs: number;
  /** Milliseconds the connections sat idle before the second request. */
  readonly idleMs: number;
  /** First few distinct error messages. */
  readonly errors: readonly string[];
}

/** Settings of the idle case. */
export interface IdleRun {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Pid of the server's top process. */
  readonly pid: number;
  /** Connections to open. */
  readonly count: number;
  /** Request target. */
  readonly path: string;
}

const PARALLEL = 200;
const IDLE_MS = 2000;

/** Run `fn(i)` for i in [0, n) with at most `parallel` in flight. */
async function pool(n: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
}

function noteError(errors: Set<string>, e: unknown): void {
  if (errors.size < 5) errors.add(e instanceof Error ? e.message : String(e));
}

async function openAll(run: IdleRun, errors: Set<string>): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  await pool(run.count, PARALLEL, async () => {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: run.port });
    } catch (e) {
      return noteError(errors, e);
    }
    const status = await getOnce(conn, run.path);
    if (status === 200) return void conns.push(conn);
    noteError(errors, status instanceof Error ? status : new Error(`first GET got ${status}`));
    closeQuietly(conn);
  });
  return conns;
}

async function countServed(conns: Deno.Conn[], path: string, errors: Set<string>) {
  let ok = 0;
  await pool(conns.length, PARALLEL, async (i) => {
    const conn = conns[i];
    if (conn === undefined) return;
    const status = await getOnce(conn, path);
    if (status === 200) ok++;
    else {noteError(
        errors,
        status instanceof Error ? status : new Error(`second GET got ${status}`),
      );}
  });
  return ok;
}

/**
 * Run the idle case against one server. All connections are closed before it returns.
 * @param run port, pid, count, path
 * @returns the measurements
 */
export async function runIdleCase(run: IdleRun): Promise<IdleResult> {
  const errors = new Set<string>();
  const before = await treeRssKiB(run.pid);
  const t0 = Date.now();
  const conns = await openAll(run, errors);
  const openMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const after = await treeRssKiB(run.pid);
  const idleMs = Date.now() - t0 - openMs;
  let servedAfter = 0;
  try {
    servedAfter = await countServed(conns, run.path, errors);
  } finally {
    for (const c of conns) closeQuietly(c);
  }
  const opened = conns.length;
  return {
    requested: run.count,
    opened,
    servedAfter,
    rssBeforeKiB: before.kib,
    rssAfterKiB: after.kib,
    perConnKiB: opened === 0 ? 0 : (after.kib - before.kib) / opened,
    processes: after.processes,
    openMs,
    idleMs,
    errors: [...errors],
  };
}
