/**
 * `deno task bench`: our server against Debian's nginx (and a tuned nginx and a Deno.serve
 * reference) on the same generated files, driven by wrk, medians over rounds; prints a table
 * and writes tests/bench/results/<timestamp>.json. Options: see options.ts (BENCH_SECONDS,
 * BENCH_ROUNDS, BENCH_IDLE, BENCH_SERVERS, BENCH_CASES, BENCH_KEEP_TMP).
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { IDLE_CASE_ID, MISSING_PATH, selectCases, WRK_CASES } from "./cases.ts";
import { type Fixtures, makeFixtures, removeFixtures } from "./fixtures.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { clockTicks, machineFacts, openFilesLimit } from "./proc.ts";
import { formatIdleTable, formatWrkTable, wrkWarnings } from "./report.ts";
import { type Live, type LoopResult, runRounds } from "./rounds.ts";
import { SERVERS, type StartContext } from "./servers.ts";
import { summarizeIdle, summarizeWrk } from "./summary.ts";
import { collectVersions, findTools, type Tools } from "./tools.ts";

const enc = new TextEncoder();
const say = (s: string) => void Deno.stdout.writeSync(enc.encode(s + "\n"));
const note = (s: string) => void Deno.stderr.writeSync(enc.encode(s + "\n"));

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = join(BENCH_DIR, "..", "..");
/** Descriptors kept free besides the idle connections (logs, files, listeners, wrk...). */
const FD_HEADROOM = 1000;

/**
 * How many idle connections the fd limit allows. Each process (the bench holding the client
 * ends, and each server holding the server ends) has its own limit, inherited from the shell.
 * @param wanted BENCH_IDLE
 * @returns the count to use (0 = skip) and a message when it was lowered
 */
async function idleBudget(wanted: number): Promise<{ count: number; message: string | null }> {
  const lim = await openFilesLimit();
  if (wanted === 0 || lim === null || lim.soft >= wanted + FD_HEADROOM) {
    return { count: wanted, message: null };
  }
  const count = Math.max(0, lim.soft - FD_HEADROOM);
  const action = count < 100 ? "skipping the idle case" : `lowering it to ${count} connections`;
  const message = `ulimit -n is ${lim.soft} (hard ${lim.hard}); ${wanted} idle connections need ` +
    `${wanted + FD_HEADROOM} descriptors in the bench and in each server, so ${action}. ` +
    "Raise it first, e.g.: ulimit -n 65536 && deno task bench";
  return { count: count < 100 ? 0 : count, message };
}

async function startAll(ctx: StartContext, opts: BenchOptions): Promise<Live[]> {
  const live: Live[] = [];
  for (const def of SERVERS) {
    if (opts.servers !== null && !opts.servers.includes(def.id)) continue;
    note(`starting ${def.label}...`);
    live.push({ def, running: await def.start(ctx) });
  }
  return live;
}

async function stopAll(live: readonly Live[]): Promise<void> {
  await Promise.all(live.map((l) => l.running.stop().catch(() => {})));
}

interface Context {
  readonly opts: BenchOptions;
  readonly tools: Tools;
  readonly fixtures: Fixtures;
  readonly idle: number;
  readonly notes: string[];
}

async function measure(c: Context): Promise<void> {
  const ctx: StartContext = {
    repoDir: REPO_DIR,
    tmpDir: c.fixtures.tmpDir,
    docRoot: c.fixtures.docRoot,
    nginx: c.tools.nginx,
    workers: navigator.hardwareConcurrency,
    idleConnections: c.idle,
  };
  const live: Live[] = [];
  const onInt = async () => {
    await stopAll(live);
    if (!c.opts.keepTmp) await removeFixtures(c.fixtures);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInt);
  try {
    live.push(...await startAll(ctx, c.opts));
    const startedAt = new Date().toISOString();
    const loop = await runRounds({
      live,
      cases: selectCases(WRK_CASES, c.opts.cases),
      idle: c.opts.cases === null || c.opts.cases.includes(IDLE_CASE_ID) ? c.idle : 0,
      opts: c.opts,
      wrk: c.tools.wrk,
      rangeScript: c.fixtures.rangeScript,
      ticksPerSecond: await clockTicks(),
      log: note,
    });
    await stopAll(live);
    await report(c, { ctx, live, loop, startedAt });
  } finally {
    await stopAll(live);
    Deno.removeSignalListener("SIGINT", onInt);
  }
}

interface Outcome {
  readonly ctx: StartContext;
  readonly live: readonly Live[];
  readonly loop: LoopResult;
  readonly startedAt: string;
}

async function report(c: Context, o: Outcome): Promise<void> {
  const labels = o.live.map((l) => ({ id: l.def.id, label: l.def.label }));
  const rows = summarizeWrk(o.loop.wrk, selectCases(WRK_CASES, c.opts.cases), labels);
  const idleRows = summarizeIdle(o.loop.idle, labels);
  const warnings = [...c.notes, ...o.loop.warnings, ...wrkWarnings(rows, ["404-c50"])];
  const versions = await collectVersions(c.tools, REPO_DIR);
  const nproc = navigator.hardwareConcurrency;
  say("");
  say(
    `httpserver bench: ${nproc} CPUs, ${o.ctx.workers} workers each, wrk -t${c.opts.threads}, ` +
      `${c.opts.seconds} s per run, median of ${c.opts.rounds} round(s); ratio = row / nginx`,
  );
  say(`deno ${versions.deno}, ${versions.nginx}, wrk ${versions.wrk}, commit ${versions.commit}`);
  say("");
  if (rows.length > 0) say(formatWrkTable(rows));
  if (idleRows.length > 0) say(formatIdleTable(idleRows));
  for (const w of warnings) say(`warning: ${w}`);
  const doc = {
    startedAt: o.startedAt,
    finishedAt: new Date().toISOString(),
    machine: { nproc, ...await machineFacts(), openFiles: await openFilesLimit() },
    versions,
    options: {
      ...c.opts,
      idleConnections: c.idle,
      workers: o.ctx.workers,
      missingPath: MISSING_PATH,
    },
    servers: labels,
    summary: rows,
    idleSummary: idleRows,
    runs: o.loop.wrk,
    idleRuns: o.loop.idle,
    skipped: o.loop.skipped,
    warnings,
  };
  const dir = join(BENCH_DIR, "results");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${o.startedAt.replace(/[:.]/g, "-")}.json`);
  await Deno.writeTextFile(file, JSON.stringify(doc, null, 2) + "\n");
  say(`results: ${file}`);
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    const cases = [...WRK_CASES.map((c) => c.id), IDLE_CASE_ID];
    opts = parseOptions(Deno.env.toObject(), { servers: SERVERS.map((s) => s.id), cases });
  } catch (e) {
    note(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const tools = findTools();
  if (tools instanceof Error) return note(tools.message), 1;
  const budget = await idleBudget(opts.idleConnections);
  const notes = budget.message === null ? [] : [budget.message];
  for (const n of notes) note(`note: ${n}`);
  const fixtures = await makeFixtures();
  try {
    await measure({ opts, tools, fixtures, idle: budget.count, notes });
  } catch (e) {
    note(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    if (opts.keepTmp) note(`kept ${fixtures.tmpDir}`);
    else await removeFixtures(fixtures);
  }
  return 0;
}

Deno.exit(await main());
