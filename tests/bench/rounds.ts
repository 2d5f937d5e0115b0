/**
 * The measurement loop: a preflight check of every (server, case), a warm-up, then rounds in
 * which the servers take turns on each case (the order rotates each round), then the idle case's
 * rounds.
 *
 * The idle case runs after every throughput round, not inside them: its 10 000 connections per
 * server leave the servers changed for minutes afterwards, and run first in each round it moved
 * the throughput cases that followed it (docs/PERFORMANCE.md, "After a burst of connections").
 * @module
 */

import { IDLE_CASE_ID, IDLE_PATH, RANGE_MIX, WRK_CASES, type WrkCase } from "./cases.ts";
import { fetchStatus } from "./http_probe.ts";
import { runIdleCase } from "./idle.ts";
import type { BenchOptions } from "./options.ts";
import { treeCpuTicks } from "./proc.ts";
import { type RunningServer, runsCase, type ServerDef } from "./servers.ts";
import type { IdleRecord, WrkRecord } from "./summary.ts";
import { runWrk, wrkArgs } from "./wrk.ts";

/** A started server with its definition. */
export interface Live {
  readonly def: ServerDef;
  readonly running: RunningServer;
}

/** What the loop needs. */
export interface LoopPlan {
  readonly live: readonly Live[];
  readonly cases: readonly WrkCase[];
  /** Idle connections per run (0 = skip the idle case). */
  readonly idle: number;
  readonly opts: BenchOptions;
  readonly wrk: string;
  readonly rangeScript: string;
  /** The CA (PEM) the TLS cases' certificate verifies against (for the preflight probe). */
  readonly tlsCa: string;
  /** Clock ticks per second of /proc CPU times. */
  readonly ticksPerSecond: number;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** Everything measured. */
export interface LoopResult {
  readonly wrk: WrkRecord[];
  readonly idle: IdleRecord[];
  /** "serverId/caseId" pairs left out after a failed preflight or a crash. */
  readonly skipped: string[];
  readonly warnings: string[];
}

const PAUSE_MS = 300;
const pause = () => new Promise((r) => setTimeout(r, PAUSE_MS));

async function checkCase(s: RunningServer, c: WrkCase, ca: string): Promise<string | null> {
  if (c.tls && s.tlsPort === null) return "no HTTPS listener";
  const port = c.tls ? s.tlsPort! : s.port;
  const variants = c.rangeScript ? RANGE_MIX.map((r) => [`Range: ${r}`]) : [[...c.headers]];
  for (const headers of variants) {
    const got = await fetchStatus(port, c.path, headers, c.tls ? ca : null);
    if (got !== c.expectStatus) {
      const what = got instanceof Error ? got.message : `status ${got}`;
      return `GET ${c.path} ${headers.join(" ")} answered ${what}, expected ${c.expectStatus}`;
    }
  }
  return null;
}

/**
 * Check every server answers every case as expected; a pair that does not is skipped, so a
 * misconfigured server cannot post numbers for 404 pages.
 * @param plan the loop plan
 * @param skipped receives "serverId/caseId" for each failure
 * @returns warnings
 */
export async function preflight(plan: LoopPlan, skipped: string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const { def, running } of plan.live) {
    for (const c of plan.cases) {
      if (!runsCase(def, c.id)) continue;
      const why = await checkCase(running, c, plan.tlsCa);
      if (why === null) continue;
      skipped.push(`${def.id}/${c.id}`);
      warnings.push(`${def.label}: ${c.title} skipped: ${why}`);
    }
  }
  return warnings;
}

/**
 * A short wrk run per server on the 1 KiB file, so JIT warm-up is not measured in round 1.
 * @param plan the loop plan
 */
export async function warmUp(plan: LoopPlan): Promise<void> {
  const c = WRK_CASES[0];
  if (c === undefined) return;
  for (const { def, running } of plan.live) {
    const args = wrkArgs(c, { ...runOf(plan, running), seconds: 1 });
    const r = await runWrk(plan.wrk, args, 1);
    plan.log(
      `warm-up ${def.label}: ${
        r instanceof Error ? r.message : `${Math.round(r.result.rps)} req/s`
      }`,
    );
  }
}

function runOf(plan: LoopPlan, s: RunningServer) {
  return {
    port: s.port,
    tlsPort: s.tlsPort,
    seconds: plan.opts.seconds,
    threads: plan.opts.threads,
    rangeScript: plan.rangeScript,
  };
}

function crashed(l: Live, skipped: string[], warnings: string[]): boolean {
  const st = l.running.proc.exited;
  if (st === null) return false;
  if (!skipped.includes(`${l.def.id}/*`)) {
    skipped.push(`${l.def.id}/*`);
    warnings.push(`${l.def.label} exited (code ${st.code}); its later runs are skipped`);
  }
  return true;
}

async function idleTurn(plan: LoopPlan, l: Live, round: number): Promise<IdleRecord> {
  try {
    const result = await runIdleCase({
      port: l.running.port,
      pid: l.running.proc.pid,
      count: plan.idle,
      path: IDLE_PATH,
    });
    const msg = `${result.perConnKiB.toFixed(2)} KiB/conn, ${result.servedAfter}/${result.opened}`;
    plan.log(`[round ${round}] idle ${l.def.label}: ${msg} served after idling`);
    return { round, serverId: l.def.id, result, error: null };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    plan.log(`[round ${round}] idle ${l.def.label}: failed: ${error}`);
    return { round, serverId: l.def.id, result: null, error };
  }
}

async function wrkTurn(plan: LoopPlan, l: Live, c: WrkCase, round: number): Promise<WrkRecord> {
  const args = wrkArgs(c, runOf(plan, l.running));
  const pid = l.running.proc.pid;
  const before = await treeCpuTicks(pid);
  const r = await runWrk(plan.wrk, args, plan.opts.seconds);
  const after = await treeCpuTicks(pid);
  const base = { round, caseId: c.id, serverId: l.def.id };
  if (r instanceof Error) {
    plan.log(`[round ${round}] ${c.title} ${l.def.label}: failed: ${r.message}`);
    return { ...base, result: null, cpu: null, error: r.message };
  }
  const hz = plan.ticksPerSecond;
  const cpu = r.wrkCpuTicks === null || after < before
    ? null
    : { serverS: (after - before) / hz, wrkS: r.wrkCpuTicks / hz };
  const mib = (r.result.bytesPerSec / 1048576).toFixed(1);
  plan.log(
    `[round ${round}] ${c.title} ${l.def.label}: ${Math.round(r.result.rps)} req/s ${mib} MiB/s`,
  );
  return { ...base, result: r.result, cpu, error: null };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]).filter((x): x is T => x !== undefined);
}

/** One run of the measurement loop: a server on a wrk case, or on the idle case. */
export type Turn<S, C> =
  | { readonly kind: "wrk"; readonly round: number; readonly server: S; readonly case: C }
  | { readonly kind: "idle"; readonly round: number; readonly server: S };

/**
 * The order of all runs: round by round, each wrk case with every server in turn, the server
 * order rotating by one each round so no server always goes first; then, when `idle`, as many
 * rounds of the idle case, rotating the same way (see the module comment for why it comes last).
 * @param servers the servers, in their starting order
 * @param cases the wrk cases
 * @param rounds rounds of each
 * @param idle whether the idle case runs
 */
export function schedule<S, C>(
  servers: readonly S[],
  cases: readonly C[],
  rounds: number,
  idle: boolean,
): Turn<S, C>[] {
  const turns: Turn<S, C>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = rotate(servers, round - 1);
    for (const c of cases) {
      for (const server of order) turns.push({ kind: "wrk", round, server, case: c });
    }
  }
  if (!idle) return turns;
  for (let round = 1; round <= rounds; round++) {
    for (const server of rotate(servers, round - 1)) turns.push({ kind: "idle", round, server });
  }
  return turns;
}

/**
 * Run every turn of `schedule()`, skipping a server's case after a failed preflight and all its
 * runs after it exited.
 * @param plan the loop plan
 * @returns all records, skips and warnings
 */
export async function runRounds(plan: LoopPlan): Promise<LoopResult> {
  const out: LoopResult = { wrk: [], idle: [], skipped: [], warnings: [] };
  out.warnings.push(...await preflight(plan, out.skipped));
  await warmUp(plan);
  const wants = (l: Live, id: string) =>
    runsCase(l.def, id) && !out.skipped.includes(`${l.def.id}/${id}`) &&
    !crashed(l, out.skipped, out.warnings);
  for (const t of schedule(plan.live, plan.cases, plan.opts.rounds, plan.idle > 0)) {
    if (t.kind === "wrk") {
      if (!wants(t.server, t.case.id)) continue;
      out.wrk.push(await wrkTurn(plan, t.server, t.case, t.round));
    } else {
      if (!wants(t.server, IDLE_CASE_ID)) continue;
      out.idle.push(await idleTurn(plan, t.server, t.round));
    }
    await pause();
  }
  return out;
}
