/**
 * `deno task bench`: our server against Debian's nginx (and a tuned nginx and a Deno.serve
 * reference) on the same generated files, driven by wrk, medians over rounds; prints a table
 * and writes tests/bench/results/<timestamp>.json. With BENCH_REVS, ours also runs from other
 * git revisions (a worktree each) in the same rounds, and a second table gives ours over each.
 * Options: see options.ts (BENCH_SECONDS, BENCH_ROUNDS, BENCH_IDLE, BENCH_SERVERS, BENCH_CASES,
 * BENCH_KEEP_TMP, BENCH_REVS).
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { IDLE_CASE_ID, MISSING_PATH, selectCases, WRK_CASES } from "./cases.ts";
import { type Fixtures, makeFixtures, removeFixtures } from "./fixtures.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { clockTicks, machineFacts, openFilesLimit } from "./proc.ts";
import { formatIdleTable, formatRevisionTable, formatWrkTable, wrkWarnings } from "./report.ts";
import {
  addCheckouts,
  type Checkout,
  removeCheckouts,
  type Resolved,
  resolveRevisions,
} from "./revisions.ts";
import { type Live, type LoopResult, runRounds } from "./rounds.ts";
import { SERVERS, type StartContext, withCheckouts } from "./servers.ts";
import { compareRevisions, summarizeIdle, summarizeWrk } from "./summary.ts";
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

/** Start the chosen servers, each pushed onto `live` as soon as it runs. */
async function startAll(
  ctx: StartContext,
  c: { readonly opts: BenchOptions; readonly checkouts: readonly Checkout[] },
  live: Live[],
): Promise<void> {
  const chosen = SERVERS.filter((s) => c.opts.servers === null || c.opts.servers.includes(s.id));
  for (const def of withCheckouts(chosen, c.checkouts)) {
    note(`starting ${def.label}...`);
    live.push({ def, running: await def.start(ctx) });
  }
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
  /** Other revisions' worktrees (BENCH_REVS). */
  readonly checkouts: readonly Checkout[];
  /** Started servers, shared with main() so an interrupt stops them. */
  readonly live: Live[];
}

async function measure(c: Context): Promise<void> {
  const ctx: StartContext = {
    repoDir: REPO_DIR,
    tmpDir: c.fixtures.tmpDir,
    docRoot: c.fixtures.docRoot,
    nginx: c.tools.nginx,
    workers: navigator.hardwareConcurrency,
    idleConnections: c.idle,
    tls: c.fixtures.tls,
  };
  await startAll(ctx, c, c.live);
  const startedAt = new Date().toISOString();
  const loop = await runRounds({
    live: c.live,
    cases: selectCases(WRK_CASES, c.opts.cases),
    idle: c.opts.cases === null || c.opts.cases.includes(IDLE_CASE_ID) ? c.idle : 0,
    opts: c.opts,
    wrk: c.tools.wrk,
    rangeScript: c.fixtures.rangeScript,
    tlsCa: c.fixtures.tls.caPem,
    ticksPerSecond: await clockTicks(),
    log: note,
  });
  await stopAll(c.live);
  await report(c, { ctx, live: c.live, loop, startedAt });
}

interface Outcome {
  readonly ctx: StartContext;
  readonly live: readonly Live[];
  readonly loop: LoopResult;
  readonly startedAt: string;
}

async function report(c: Context, o: Outcome): Promise<void> {
  const labels = o.live.map((l) => ({ id: l.def.id, label: l.def.label }));
  const cases = selectCases(WRK_CASES, c.opts.cases);
  const rows = summarizeWrk(o.loop.wrk, cases, labels);
  const pairs = o.live.flatMap((l) =>
    l.def.revisionOf === undefined ? [] : [{ id: l.def.id, revisionOf: l.def.revisionOf }]
  );
  const revisionRows = compareRevisions(rows, o.loop.wrk, cases, pairs);
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
  for (const k of c.checkouts) say(`@${k.short} = ${k.rev}, ${k.sha}: ${k.subject}`);
  say("");
  if (rows.length > 0) say(formatWrkTable(rows));
  if (revisionRows.length > 0) {
    say(
      "ours against other revisions (ratio = this checkout / that revision; above 1: faster now)",
    );
    say("");
    say(formatRevisionTable(revisionRows));
  }
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
    revisions: c.checkouts.map(({ rev, sha, short, subject }) => ({ rev, sha, short, subject })),
    summary: rows,
    revisionSummary: revisionRows,
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

/** What is settled before anything is started or written. */
interface Setup {
  readonly opts: BenchOptions;
  readonly tools: Tools;
  /** BENCH_REVS resolved to commits. */
  readonly commits: readonly Resolved[];
  /** Idle connections the fd limit allows. */
  readonly idle: number;
  readonly notes: string[];
}

/** Read the options, find the tools, resolve the revisions; an exit code when one fails. */
async function setUp(): Promise<Setup | number> {
  let opts: BenchOptions;
  let commits: Resolved[];
  try {
    const cases = [...WRK_CASES.map((c) => c.id), IDLE_CASE_ID];
    opts = parseOptions(Deno.env.toObject(), { servers: SERVERS.map((s) => s.id), cases });
    commits = await resolveRevisions(REPO_DIR, opts.revs);
  } catch (e) {
    note(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const tools = findTools();
  if (tools instanceof Error) return note(tools.message), 1;
  const budget = await idleBudget(opts.idleConnections);
  const notes = budget.message === null ? [] : [budget.message];
  for (const n of notes) note(`note: ${n}`);
  return { opts, tools, commits, idle: budget.count, notes };
}

/**
 * Make the temporary folder and the worktrees, measure, and clean up once whether the run
 * ends, fails or is interrupted (an interrupt may come during the clean-up itself).
 */
async function runBench(s: Setup): Promise<number> {
  const fixtures = await makeFixtures();
  const checkouts: Checkout[] = [];
  const live: Live[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    cleaning ??= (async () => {
      await stopAll(live);
      for (const p of await removeCheckouts(REPO_DIR, checkouts)) note(`warning: ${p}`);
      if (s.opts.keepTmp) note(`kept ${fixtures.tmpDir} (the worktrees are removed)`);
      else await removeFixtures(fixtures);
    })();
  const onInt = async () => {
    await cleanUp();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInt);
  try {
    for (const k of s.commits) note(`checking out ${k.rev} (${k.short}) in a worktree...`);
    await addCheckouts(REPO_DIR, fixtures.tmpDir, s.commits, checkouts);
    await measure({ ...s, fixtures, checkouts, live });
    return 0;
  } catch (e) {
    note(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await cleanUp();
    Deno.removeSignalListener("SIGINT", onInt);
  }
}

const setup = await setUp();
Deno.exit(typeof setup === "number" ? setup : await runBench(setup));
