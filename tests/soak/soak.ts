/**
 * The soak: start the real server on a free port (WriteAccess with a PasswordFile made by
 * `--hash-password`, a scratch and an upload folder, offset-encoded fixtures), drive the mix
 * of kinds.ts from several clients for a while, sample the server's memory and descriptors,
 * and judge the run:
 *
 * - no unexpected result: every response has the status its kind expects and every body byte
 *   is right;
 * - memory flat after warm-up (the first third of the run: caches fill and V8 sizes its heap
 *   to the load, which on a shared machine changes as other work comes and goes): the largest
 *   RSS of the last half of the remaining samples is within `RSS_GROWTH` plus `RSS_SLACK_MIB`
 *   of the largest of the first half (a leak grows the maximum; the maximum, not the mean,
 *   because a garbage collector makes RSS saw-toothed);
 * - descriptors flat: the second half's largest count within `FD_SLACK` of the first half's,
 *   and back to the idle baseline once the clients have gone;
 * - access.log has one line per response the server sent, with the same statuses;
 * - error.log has no `crit` line (a handler fault), and the server exits 0 on SIGTERM.
 * @module
 */

import { join } from "../helpers/paths.ts";
import { REPO, RUN_FLAGS, startServer, tempDir, type TestServer } from "../helpers/server.ts";
import { writeFixtures } from "./fixtures.ts";
import { HttpConn } from "../helpers/http_conn.ts";
import { type KindContext, KINDS, pickKind } from "./kinds.ts";

/** What to run. */
export interface SoakOptions {
  readonly durationMs: number;
  /** Concurrent clients (default 8). */
  readonly clients?: number;
  /** Samples before this are warm-up (default: the first third of the run, at least 5 s). */
  readonly warmupMs?: number;
  /** Milliseconds between samples of RSS and descriptors (default 1000). */
  readonly sampleMs?: number;
  /** Seed of the clients' choices (default: random). */
  readonly seed?: number;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
  /** Keep the temporary folder (server config, logs). */
  readonly keep?: boolean;
}

/** One sample of the server process. */
export interface Sample {
  readonly atMs: number;
  readonly rssKiB: number;
  readonly fds: number;
}

/** The verdict and the figures of a run. */
export interface SoakReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly seed: number;
  readonly durationMs: number;
  readonly clients: number;
  /** Final responses seen by the clients (= access lines expected). */
  readonly responses: number;
  readonly statuses: Record<string, number>;
  readonly runs: Record<string, { runs: number; failed: number }>;
  readonly accessLines: number;
  readonly errorLog: Record<string, number>;
  readonly rss: FlatVerdict & { readonly baselineMiB: number };
  readonly fds: FlatVerdict & { readonly baseline: number; readonly afterClients: number };
  /** The 1-minute load average: at the start, the mean over the run, the end. */
  readonly load: { readonly start: number; readonly mean: number; readonly end: number };
  readonly samples: Sample[];
  readonly dir: string;
}

/** How a series of samples is judged. */
export interface FlatVerdict {
  readonly firstMax: number;
  readonly lastMax: number;
  readonly limit: number;
  readonly flat: boolean;
}

/** RSS may grow by this fraction of the first half's maximum... */
export const RSS_GROWTH = 0.1;
/** ...plus this many MiB (allocator and JIT noise on a short run). */
export const RSS_SLACK_MIB = 24;
/** Descriptors: the second half's maximum may exceed the first half's by this many. */
export const FD_SLACK = 16;

/** Judge a series (after warm-up): the second half's maximum against the first half's. */
export function flatness(values: readonly number[], limit: (firstMax: number) => number) {
  const half = Math.max(1, Math.floor(values.length / 2));
  const firstMax = Math.max(...values.slice(0, half));
  const lastMax = Math.max(...values.slice(values.length - half));
  const l = limit(firstMax);
  return { firstMax, lastMax, limit: l, flat: lastMax <= l };
}

/** A small seeded generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sh(script: string, stdin?: string): Promise<string> {
  const p = new Deno.Command("sh", {
    args: ["-c", script],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await p.output();
  return new TextDecoder().decode(out.stdout);
}

/** RSS and descriptor count of a process (from /proc, read through sh: see helpers/server.ts). */
export async function sample(pid: number, t0: number): Promise<Sample> {
  const out = await sh(
    `grep VmRSS /proc/${pid}/status | tr -dc 0-9; echo; ls /proc/${pid}/fd | wc -l`,
  );
  const [rss, fds] = out.trim().split("\n").map(Number);
  return { atMs: Date.now() - t0, rssKiB: rss ?? NaN, fds: fds ?? NaN };
}

function loadAverage(): number {
  return Deno.loadavg()[0] ?? NaN;
}

/** A PasswordFile line for `user`, made by the server's own `--hash-password`. */
async function hashPassword(user: string, password: string): Promise<string> {
  const cmd = [Deno.execPath(), ...RUN_FLAGS, join(REPO, "main.ts"), "--hash-password", user];
  const line = await sh(cmd.map((a) => `'${a}'`).join(" "), password + "\n");
  if (!line.startsWith(`${user}:`)) throw new Error(`--hash-password printed ${line}`);
  return line;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run a soak and judge it. */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const clients = o.clients ?? 8;
  const seed = o.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const warmupMs = o.warmupMs ?? Math.max(5000, o.durationMs / 3);
  const say = o.progress ?? (() => {});
  const dir = tempDir();
  const root = join(dir, "www");
  writeFixtures(root);
  Deno.mkdirSync(join(root, "scratch"));
  Deno.mkdirSync(join(root, "uploads"));
  const password = "soak " + crypto.randomUUID();
  Deno.writeTextFileSync(join(dir, "passwords"), await hashPassword("soak", password));
  const s = await startServer({
    copySite: false,
    conf: {
      DocumentRoot: root,
      WriteAccess: "On",
      PasswordFile: join(dir, "passwords"),
      WritePaths: "/scratch/ /uploads/",
      UploadPaths: "/uploads/",
    },
  });
  const problems: string[] = [];
  const statuses: Record<string, number> = {};
  const runs: Record<string, { runs: number; failed: number }> = {};
  for (const k of KINDS) runs[k.name] = { runs: 0, failed: 0 };
  let responses = 0;
  const samples: Sample[] = [];
  const loads: number[] = [];
  let report: SoakReport | null = null;
  const record = (status: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    responses++;
  };
  try {
    const t0 = Date.now();
    // The idle baseline, once both workers have answered something.
    for (let i = 0; i < 4; i++) {
      const c = await HttpConn.open(s.port);
      await c.write("GET /f/small.bin HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n");
      record((await c.readFinal()).status);
      c.close();
    }
    await sleep(500);
    const baseline = await sample(s.proc.pid, t0);
    const loadStart = loadAverage();
    const until = Date.now() + o.durationMs;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await sample(s.proc.pid, t0));
        loads.push(loadAverage());
        const last = samples[samples.length - 1]!;
        if (samples.length % 60 === 0) {
          say(
            `${Math.round(last.atMs / 1000)} s: ${responses} responses, RSS ${
              (last.rssKiB / 1024).toFixed(1)
            } MiB, ${last.fds} fds, load ${loads[loads.length - 1]}, ${problems.length} problems`,
          );
        }
        await sleep(o.sampleMs ?? 1000);
      }
    })();
    const auth = "Basic " + btoa(`soak:${password}`);
    const badAuth = "Basic " + btoa("soak:wrong");
    const loops = Array.from({ length: clients }, async (_, client) => {
      const random = seeded(seed + client);
      const ctx: KindContext = {
        port: s.port,
        auth,
        badAuth,
        client,
        random,
        record,
      };
      while (Date.now() < until) {
        const k = pickKind(random);
        runs[k.name]!.runs++;
        try {
          await k.run(ctx);
        } catch (e) {
          runs[k.name]!.failed++;
          if (problems.length < 50) {
            problems.push(`${k.name} (client ${client}): ${e instanceof Error ? e.message : e}`);
          }
        }
      }
    });
    await Promise.all(loops);
    sampling = false;
    await sampler;
    // Every client has closed its connections: the server's descriptors go back to idle.
    let afterClients = Infinity;
    const settleUntil = Date.now() + 15_000;
    while (Date.now() < settleUntil) {
      afterClients = (await sample(s.proc.pid, t0)).fds;
      if (afterClients <= baseline.fds) break;
      await sleep(250);
    }
    const loadEnd = loadAverage();
    const code = await s.stop("SIGTERM");
    if (code !== 0) problems.push(`the server exited ${code} on SIGTERM`);
    report = judge({
      o,
      s,
      seed,
      clients,
      warmupMs,
      baseline,
      afterClients,
      samples,
      problems,
      statuses,
      runs,
      responses,
      load: {
        start: loadStart,
        mean: loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length),
        end: loadEnd,
      },
      dir,
    });
    return report;
  } finally {
    await s.stop("SIGKILL").catch(() => {});
    if (!o.keep && report?.ok) {
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(s.dir, { recursive: true });
    }
  }
}

interface Judged {
  readonly o: SoakOptions;
  readonly s: TestServer;
  readonly seed: number;
  readonly clients: number;
  readonly warmupMs: number;
  readonly baseline: Sample;
  readonly afterClients: number;
  readonly samples: Sample[];
  readonly problems: string[];
  readonly statuses: Record<string, number>;
  readonly runs: Record<string, { runs: number; failed: number }>;
  readonly responses: number;
  readonly load: SoakReport["load"];
  readonly dir: string;
}

function judge(j: Judged): SoakReport {
  const problems = [...j.problems];
  const steady = j.samples.filter((x) => x.atMs >= j.warmupMs);
  if (steady.length < 3) problems.push(`only ${steady.length} samples after warm-up`);
  const rss = flatness(
    steady.map((x) => x.rssKiB / 1024),
    (m) => m * (1 + RSS_GROWTH) + RSS_SLACK_MIB,
  );
  if (!rss.flat) {
    problems.push(`RSS grew: ${rss.lastMax.toFixed(1)} MiB > ${rss.limit.toFixed(1)} MiB`);
  }
  const fds = flatness(steady.map((x) => x.fds), (m) => m + FD_SLACK);
  if (!fds.flat) problems.push(`descriptors grew: ${fds.lastMax} > ${fds.limit}`);
  if (j.afterClients > j.baseline.fds) {
    problems.push(`${j.afterClients} descriptors after the clients left, ${j.baseline.fds} before`);
  }
  const access = j.s.readLog("access.log").split("\n").filter((l) => l !== "");
  const logged: Record<string, number> = {};
  for (const l of access) {
    const m = /" (\d{3}) (\d+|-) "/.exec(l);
    const status = m === null ? "unparsable" : m[1]!;
    logged[status] = (logged[status] ?? 0) + 1;
  }
  if (access.length !== j.responses) {
    problems.push(`access.log has ${access.length} lines for ${j.responses} responses`);
  }
  const keys = new Set([...Object.keys(logged), ...Object.keys(j.statuses)]);
  for (const k of keys) {
    if ((logged[k] ?? 0) !== (j.statuses[k] ?? 0)) {
      problems.push(`status ${k}: ${logged[k] ?? 0} access lines, ${j.statuses[k] ?? 0} responses`);
    }
  }
  const errorLog: Record<string, number> = {};
  for (const l of j.s.readLog("error.log").split("\n")) {
    const m = /^\[[^\]]+\] \[[a-z]+:([a-z]+)\]/.exec(l);
    if (m !== null) errorLog[m[1]!] = (errorLog[m[1]!] ?? 0) + 1;
    if (m?.[1] === "crit" && problems.length < 60) problems.push(`error.log: ${l}`);
  }
  return {
    ok: problems.length === 0,
    problems,
    seed: j.seed,
    durationMs: j.o.durationMs,
    clients: j.clients,
    responses: j.responses,
    statuses: j.statuses,
    runs: j.runs,
    accessLines: access.length,
    errorLog,
    rss: { ...rss, baselineMiB: j.baseline.rssKiB / 1024 },
    fds: { ...fds, baseline: j.baseline.fds, afterClients: j.afterClients },
    load: j.load,
    samples: j.samples,
    dir: j.dir,
  };
}

/** The largest RSS (MiB) in each tenth of the run. */
function timeline(samples: readonly Sample[], durationMs: number): string {
  const max = new Array<number>(10).fill(0);
  for (const x of samples) {
    const i = Math.min(9, Math.floor((x.atMs / durationMs) * 10));
    max[i] = Math.max(max[i]!, x.rssKiB / 1024);
  }
  return max.map((m) => m.toFixed(0)).join(" ");
}

/** The figures of a report as text. */
export function formatReport(r: SoakReport): string {
  const mins = (r.durationMs / 60000).toFixed(1);
  const lines = [
    `soak: ${r.ok ? "PASSED" : "FAILED"} (${mins} min, ${r.clients} clients, seed ${r.seed})`,
    `responses: ${r.responses} (${(r.responses / (r.durationMs / 1000)).toFixed(0)}/s), ` +
    `access.log lines: ${r.accessLines}`,
    `statuses: ${Object.entries(r.statuses).map(([k, v]) => `${k}:${v}`).join(" ")}`,
    `kinds: ${
      Object.entries(r.runs).map(([k, v]) =>
        `${k} ${v.runs}${v.failed ? ` (${v.failed} failed)` : ""}`
      ).join(", ")
    }`,
    `RSS MiB: idle ${r.rss.baselineMiB.toFixed(1)}, after warm-up: first half max ` +
    `${r.rss.firstMax.toFixed(1)}, second half max ${r.rss.lastMax.toFixed(1)} ` +
    `(limit ${r.rss.limit.toFixed(1)})`,
    `RSS MiB, max per tenth of the run: ${timeline(r.samples, r.durationMs)}`,
    `descriptors: idle ${r.fds.baseline}, after warm-up: first half max ${r.fds.firstMax}, ` +
    `second half max ${r.fds.lastMax} (limit ${r.fds.limit}), after the clients left ` +
    `${r.fds.afterClients}`,
    `error.log lines by level: ${
      Object.entries(r.errorLog).map(([k, v]) => `${k}:${v}`).join(" ") || "none"
    }`,
    `load average (1 min): start ${r.load.start}, mean ${
      r.load.mean.toFixed(2)
    }, end ${r.load.end}`,
  ];
  if (!r.ok) lines.push("problems:", ...r.problems.map((p) => "  " + p));
  return lines.join("\n");
}
