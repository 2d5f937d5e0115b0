/**
 * Medians over rounds and ratios to nginx, and of ours to its older revisions (BENCH_REVS), pure.
 * @module
 */

import type { WrkCase } from "./cases.ts";
import type { IdleResult } from "./idle.ts";
import type { WrkResult } from "./wrk_output.ts";

/** One wrk run as recorded. */
export interface WrkRecord {
  readonly round: number;
  readonly caseId: string;
  readonly serverId: string;
  /** The numbers, or null when the run failed. */
  readonly result: WrkResult | null;
  /**
   * CPU seconds the server (its whole process tree) and wrk used during the run, or null when
   * they could not be read. Both share the machine's CPUs, so a server that costs wrk more work
   * per response (e.g. longer heads) lowers its own req/s.
   */
  readonly cpu: { readonly serverS: number; readonly wrkS: number } | null;
  /** Why the run failed, or null. */
  readonly error: string | null;
}

/** One idle-case run as recorded. */
export interface IdleRecord {
  readonly round: number;
  readonly serverId: string;
  readonly result: IdleResult | null;
  readonly error: string | null;
}

/** Server id and label, as the summary needs them. */
export interface ServerLabel {
  readonly id: string;
  readonly label: string;
}

/** Median numbers of one (case, server) pair. */
export interface WrkRow {
  readonly caseId: string;
  readonly caseTitle: string;
  readonly serverId: string;
  readonly server: string;
  /** Rounds that produced numbers. */
  readonly rounds: number;
  readonly rps: number;
  readonly bytesPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Server CPU time per completed request, µs (median over rounds), or null if unmeasured. */
  readonly serverCpuUs: number | null;
  /** wrk's CPU time per completed request, µs (median over rounds), or null if unmeasured. */
  readonly wrkCpuUs: number | null;
  /** This row's metric (req/s, or bytes/s for "mbps" cases) over nginx's; null without nginx. */
  readonly ratio: number | null;
  /** This row's p99 over nginx's p99. */
  readonly p99Ratio: number | null;
  /**
   * Lowest and highest ratio of one round (this row's run over nginx's run of the same round),
   * over the rounds where both produced numbers; null with fewer than two such rounds. Rounds
   * alternate servers, so a round's pair ran minutes apart at most: the spread says how far one
   * run's ratio can be trusted on a noisy machine.
   */
  readonly ratioRange: { readonly min: number; readonly max: number } | null;
  /** Sum over rounds of non-2xx/3xx responses and of socket errors. */
  readonly non2xx3xx: number;
  readonly socketErrors: number;
}

/** Median numbers of the idle case for one server. */
export interface IdleRow {
  readonly serverId: string;
  readonly server: string;
  readonly rounds: number;
  readonly requested: number;
  readonly opened: number;
  readonly servedAfter: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly perConnKiB: number;
  readonly processes: number;
  /** perConnKiB over nginx's. */
  readonly ratio: number | null;
}

/** Id of the server every ratio is taken against. */
export const BASELINE_ID = "nginx";

/**
 * The median of a list (mean of the two middle values for an even count).
 * @param values numbers
 * @returns the median, or NaN for an empty list
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] ?? NaN : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function ratio(a: number, b: number | undefined): number | null {
  return b === undefined || !(b > 0) ? null : a / b;
}

type BaseRow = Omit<WrkRow, "ratio" | "p99Ratio" | "ratioRange">;

/** Per-round ratios of `runs` to `baseline` (same case), paired by round number. */
function roundRatios(
  runs: readonly WrkRecord[],
  baseline: readonly WrkRecord[],
  metric: (r: WrkResult) => number,
): WrkRow["ratioRange"] {
  const ratios: number[] = [];
  for (const run of runs) {
    if (run.result === null) continue;
    const ref = baseline.find((b) => b.round === run.round)?.result;
    const r = ref === undefined || ref === null ? null : ratio(metric(run.result), metric(ref));
    if (r !== null) ratios.push(r);
  }
  return ratios.length < 2 ? null : { min: Math.min(...ratios), max: Math.max(...ratios) };
}

function wrkRow(c: WrkCase, s: ServerLabel, runs: readonly WrkRecord[]): BaseRow {
  const results = runs.flatMap((r) => (r.result === null ? [] : [r.result]));
  const m = (f: (r: WrkResult) => number) => median(results.map(f));
  const errs = (r: WrkResult) =>
    r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
  const perRequest = (f: (cpu: NonNullable<WrkRecord["cpu"]>) => number) => {
    const us = runs.flatMap((r) =>
      r.result === null || r.cpu === null || r.result.requests === 0
        ? []
        : [f(r.cpu) * 1e6 / r.result.requests]
    );
    return us.length === 0 ? null : median(us);
  };
  return {
    caseId: c.id,
    caseTitle: c.title,
    serverId: s.id,
    server: s.label,
    rounds: results.length,
    rps: m((r) => r.rps),
    bytesPerSec: m((r) => r.bytesPerSec),
    p50Us: m((r) => r.p50Us),
    p99Us: m((r) => r.p99Us),
    serverCpuUs: perRequest((cpu) => cpu.serverS),
    wrkCpuUs: perRequest((cpu) => cpu.wrkS),
    non2xx3xx: results.reduce((n, r) => n + r.non2xx3xx, 0),
    socketErrors: results.reduce((n, r) => n + errs(r), 0),
  };
}

/**
 * One row per (case, server) that has at least one successful run, in case then server order.
 * @param records all wrk runs
 * @param cases cases in display order
 * @param servers servers in display order
 * @returns the rows with medians and ratios to nginx
 */
export function summarizeWrk(
  records: readonly WrkRecord[],
  cases: readonly WrkCase[],
  servers: readonly ServerLabel[],
): WrkRow[] {
  const rows: WrkRow[] = [];
  for (const c of cases) {
    const runsOf = (id: string) => records.filter((r) => r.caseId === c.id && r.serverId === id);
    const base = servers.map((s): BaseRow | null => {
      const got = runsOf(s.id);
      return got.some((r) => r.result !== null) ? wrkRow(c, s, got) : null;
    }).filter((r) => r !== null);
    const ref = base.find((r) => r.serverId === BASELINE_ID);
    const metric = (r: { rps: number; bytesPerSec: number }) =>
      c.metric === "mbps" ? r.bytesPerSec : r.rps;
    const baseline = runsOf(BASELINE_ID);
    for (const r of base) {
      rows.push({
        ...r,
        ratio: ref === undefined ? null : ratio(metric(r), metric(ref)),
        p99Ratio: ratio(r.p99Us, ref?.p99Us),
        ratioRange: roundRatios(runsOf(r.serverId), baseline, metric),
      });
    }
  }
  return rows;
}

/**
 * One idle row per server with at least one successful run.
 * @param records all idle runs
 * @param servers servers in display order
 * @returns rows with medians and the per-connection ratio to nginx
 */
export function summarizeIdle(
  records: readonly IdleRecord[],
  servers: readonly ServerLabel[],
): IdleRow[] {
  const rows = servers.map((s) => {
    const rs = records.flatMap((r) => (r.serverId === s.id && r.result ? [r.result] : []));
    if (rs.length === 0) return null;
    const m = (f: (r: IdleResult) => number) => median(rs.map(f));
    return {
      serverId: s.id,
      server: s.label,
      rounds: rs.length,
      requested: m((r) => r.requested),
      opened: m((r) => r.opened),
      servedAfter: m((r) => r.servedAfter),
      rssBeforeKiB: m((r) => r.rssBeforeKiB),
      rssAfterKiB: m((r) => r.rssAfterKiB),
      perConnKiB: m((r) => r.perConnKiB),
      processes: m((r) => r.processes),
    };
  }).filter((r) => r !== null);
  const ref = rows.find((r) => r.serverId === BASELINE_ID);
  return rows.map((r) => ({ ...r, ratio: ratio(r.perConnKiB, ref?.perConnKiB) }));
}

/** A row of ours against the same row run from an older revision, in one case. */
export interface RevisionRow {
  readonly caseId: string;
  readonly caseTitle: string;
  /** The current code's row ("ours"). */
  readonly serverId: string;
  readonly server: string;
  /** The older revision's row ("ours@b50dee1"). */
  readonly againstId: string;
  readonly against: string;
  /** The case's metric (req/s; bytes/s for "mbps" cases), median over median. */
  readonly ratio: number | null;
  /**
   * Lowest and highest ratio of one round, over the rounds where both produced numbers; null
   * with fewer than two. The range says how far the run's ratio moves with the round.
   */
  readonly ratioRange: { readonly min: number; readonly max: number } | null;
  /** p99 over the older revision's p99. */
  readonly p99Ratio: number | null;
  /** Server CPU µs per request of each, medians over rounds. */
  readonly serverCpuUs: number | null;
  readonly againstCpuUs: number | null;
}

/**
 * The current code against each older revision: for every case and every row that runs an
 * older revision of another (`revisionOf`), that other row over it.
 * @param rows summary rows from {@link summarizeWrk}
 * @param records all wrk runs, for the per-round ratios
 * @param cases cases in display order
 * @param pairs a revision row's id and the id of the row it is an older revision of
 * @returns one row per (case, pair) where both have numbers, in case then pair order
 */
export function compareRevisions(
  rows: readonly WrkRow[],
  records: readonly WrkRecord[],
  cases: readonly WrkCase[],
  pairs: readonly { readonly id: string; readonly revisionOf: string }[],
): RevisionRow[] {
  const out: RevisionRow[] = [];
  for (const c of cases) {
    const metric = (r: { rps: number; bytesPerSec: number }) =>
      c.metric === "mbps" ? r.bytesPerSec : r.rps;
    const rowOf = (id: string) => rows.find((r) => r.caseId === c.id && r.serverId === id);
    const runsOf = (id: string) => records.filter((r) => r.caseId === c.id && r.serverId === id);
    for (const p of pairs) {
      const now = rowOf(p.revisionOf);
      const old = rowOf(p.id);
      if (now === undefined || old === undefined) continue;
      out.push({
        caseId: c.id,
        caseTitle: c.title,
        serverId: now.serverId,
        server: now.server,
        againstId: old.serverId,
        against: old.server,
        ratio: ratio(metric(now), metric(old)),
        ratioRange: roundRatios(runsOf(now.serverId), runsOf(old.serverId), metric),
        p99Ratio: ratio(now.p99Us, old.p99Us),
        serverCpuUs: now.serverCpuUs,
        againstCpuUs: old.serverCpuUs,
      });
    }
  }
  return out;
}
