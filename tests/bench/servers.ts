/**
 * The servers under test and how each is started and stopped: ours (as shipped, and with
 * sessions off), Debian's nginx (plain and tuned), a minimal `Deno.serve` reference and the raw
 * Deno loop (the floor under ours); with BENCH_REVS, ours again from other git revisions.
 * @module
 */

import { join } from "node:path";
import { freePort, ServerProcess } from "./child.ts";
import { type NginxConf, nginxConf, oursConf, type TlsFiles } from "./configs.ts";

/** Everything a server needs to start. */
export interface StartContext {
  /** Repository root (holds main.ts, http.conf, error/). */
  readonly repoDir: string;
  /** Temporary folder of this bench run. */
  readonly tmpDir: string;
  /** Generated document root. */
  readonly docRoot: string;
  /** Path of the nginx binary. */
  readonly nginx: string;
  /** Worker count: ours reports it; the others are started with the same number. */
  workers: number;
  /** Room for the idle case (nginx worker_connections). */
  readonly idleConnections: number;
  /** The certificate every HTTPS listener serves. */
  readonly tls: TlsFiles;
}

/** A started server. */
export interface RunningServer {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** HTTPS port on 127.0.0.1, or null when the server has no HTTPS listener. */
  readonly tlsPort: number | null;
  /** The process (its pid is the top of the tree whose RSS is measured). */
  readonly proc: ServerProcess;
  /** Stop it and wait for the exit. */
  stop(): Promise<void>;
}

/** A server the bench can run. */
export interface ServerDef {
  /** Id used in BENCH_SERVERS and JSON. */
  readonly id: string;
  /** Row label in the table. */
  readonly label: string;
  /** Ids of the cases it runs (null = all). */
  readonly only: readonly string[] | null;
  /** Start it. */
  start(ctx: StartContext): Promise<RunningServer>;
  /** Our rows only: the same row run from another checkout of the repository (BENCH_REVS). */
  readonly atCheckout?: (checkout: CheckoutDir) => ServerDef;
  /** A BENCH_REVS row: the id of the row whose older revision it runs (e.g. "ours"). */
  readonly revisionOf?: string;
}

/** What a row needs of another revision's checkout (see revisions.ts). */
export interface CheckoutDir {
  /** Abbreviated commit id, shown in the row's label. */
  readonly short: string;
  /** The worktree holding that revision's main.ts, http.conf and error/. */
  readonly dir: string;
}

const OURS_READY =
  /httpserver listening on http:\/\/[^\s]+:(\d+)(?: and https:\/\/[^\s]+:(\d+))? \((\d+) workers\)/;
const START_TIMEOUT_MS = 20_000;

/** How one row of ours is started. */
interface OursRow {
  /** Sessions as shipped, or off. */
  readonly sessions: boolean;
  /** Serve HTTPS too (when that revision's http.conf has TLSListen). */
  readonly tls: boolean;
  /** Folder name of its config and logs in the run's temporary folder. */
  readonly name: string;
  /** The checkout whose main.ts, http.conf and error/ it runs; null for this repository. */
  readonly checkout: CheckoutDir | null;
}

function startOurs(row: OursRow) {
  return async (ctx: StartContext): Promise<RunningServer> => {
    const src = row.checkout?.dir ?? ctx.repoDir;
    const dir = join(ctx.tmpDir, row.name);
    await Deno.mkdir(join(dir, "logs"), { recursive: true });
    const shipped = await Deno.readTextFile(join(src, "http.conf"));
    const tls = row.tls && /^TLSListen\s*=/m.test(shipped) ? ctx.tls : null;
    const conf = oursConf(shipped, {
      docRoot: ctx.docRoot,
      logDir: join(dir, "logs"),
      errorPages: join(src, "error"),
      sessions: row.sessions,
      tls,
    });
    if (conf instanceof Error) throw new Error(`Cannot start ours (${row.name}): ${conf.message}`);
    await Deno.writeTextFile(join(dir, "http.conf"), conf);
    const args = ["run", "-A", "main.ts", "--config", join(dir, "http.conf"), "--port", "0"];
    const proc = new ServerProcess(Deno.execPath(), args, { cwd: src });
    const m = await proc.waitFor(OURS_READY, START_TIMEOUT_MS);
    if (m instanceof Error) throw new Error(`Cannot start ours (${row.name}): ${m.message}`);
    ctx.workers = Number(m[3]);
    const tlsPort = m[2] === undefined ? null : Number(m[2]);
    return { port: Number(m[1]), tlsPort, proc, stop: () => proc.stop("SIGTERM", 15_000) };
  };
}

/**
 * Id of a row run from another revision: `ours@b50dee1`.
 * @param id the row's id
 * @param short abbreviated commit id
 * @returns the id
 */
export function revisionId(id: string, short: string): string {
  return `${id}@${short}`;
}

/**
 * Label of a row run from another revision: `ours @b50dee1`.
 * @param label the row's label
 * @param short abbreviated commit id
 * @returns the label
 */
export function revisionLabel(label: string, short: string): string {
  return `${label} @${short}`;
}

/** A row of ours, and how the same row starts from another checkout. */
function oursDef(
  o: { id: string; label: string; only: readonly string[] | null; sessions: boolean; tls: boolean },
): ServerDef {
  return {
    id: o.id,
    label: o.label,
    only: o.only,
    start: startOurs({ sessions: o.sessions, tls: o.tls, name: o.id, checkout: null }),
    atCheckout: (checkout) => {
      const id = revisionId(o.id, checkout.short);
      return {
        id,
        label: revisionLabel(o.label, checkout.short),
        only: o.only,
        start: startOurs({ sessions: o.sessions, tls: o.tls, name: id, checkout }),
        revisionOf: o.id,
      };
    },
  };
}

function startNginx(tuned: boolean, name: string) {
  return async (ctx: StartContext): Promise<RunningServer> => {
    const dir = join(ctx.tmpDir, name);
    await Deno.mkdir(dir, { recursive: true });
    const o: NginxConf = {
      workers: ctx.workers,
      port: freePort(),
      docRoot: ctx.docRoot,
      dir,
      tuned,
      workerConnections: Math.max(1024, ctx.idleConnections + 1024),
      tls: { ...ctx.tls, port: freePort() },
    };
    await Deno.writeTextFile(join(dir, "nginx.conf"), nginxConf(o));
    const args = ["-c", join(dir, "nginx.conf"), "-p", dir, "-e", join(dir, "error.log")];
    const proc = new ServerProcess(ctx.nginx, args, {});
    const err = await proc.waitHttp(o.port, START_TIMEOUT_MS);
    if (err !== null) throw new Error(`Cannot start ${name}: ${err.message}`);
    return { port: o.port, tlsPort: o.tls!.port, proc, stop: () => proc.stop("SIGQUIT", 10_000) };
  };
}

async function startDenoRef(ctx: StartContext): Promise<RunningServer> {
  const port = freePort();
  const script = join(ctx.repoDir, "tests", "bench", "deno_serve_ref.ts");
  const args = ["serve", "--parallel", `--allow-read=${ctx.docRoot}`, "--allow-env"];
  args.push("--host", "127.0.0.1", "--port", String(port), script);
  const env = { BENCH_DOCROOT: ctx.docRoot, DENO_JOBS: String(ctx.workers) };
  const proc = new ServerProcess(Deno.execPath(), args, { cwd: ctx.repoDir, env });
  const err = await proc.waitHttp(port, START_TIMEOUT_MS);
  if (err !== null) throw new Error(`Cannot start the Deno.serve reference: ${err.message}`);
  return { port, tlsPort: null, proc, stop: () => proc.stop("SIGTERM", 10_000) };
}

async function startRawLoop(ctx: StartContext): Promise<RunningServer> {
  const port = freePort();
  const tlsPort = freePort();
  const script = join(ctx.repoDir, "tests", "bench", "raw_loop_ref.ts");
  const args = ["run", "-A", script, String(port), String(ctx.workers), String(tlsPort)];
  const env = {
    BENCH_DOCROOT: ctx.docRoot,
    BENCH_TLS_CERT: ctx.tls.cert,
    BENCH_TLS_KEY: ctx.tls.key,
  };
  const proc = new ServerProcess(Deno.execPath(), args, { cwd: ctx.repoDir, env });
  const err = await proc.waitHttp(port, START_TIMEOUT_MS);
  if (err !== null) throw new Error(`Cannot start the raw-loop reference: ${err.message}`);
  return { port, tlsPort, proc, stop: () => proc.stop("SIGTERM", 10_000) };
}

/** The 1 KiB keep-alive cases, where the sessions-off variant of ours also runs. */
const ONE_KIB_CASES = ["1k-c50", "1k-c256"];

/**
 * All servers, in the order they are started and (rotated per round) measured. "ours" must
 * come first: it reports the worker count the others are given.
 */
export const SERVERS: readonly ServerDef[] = [
  oursDef({ id: "ours", label: "ours", only: null, sessions: true, tls: true }),
  oursDef({
    id: "ours-nosess",
    label: "ours (sessions off)",
    only: ONE_KIB_CASES,
    sessions: false,
    tls: false,
  }),
  { id: "nginx", label: "nginx", only: null, start: startNginx(false, "nginx") },
  { id: "nginx-tuned", label: "nginx tuned", only: null, start: startNginx(true, "nginx-tuned") },
  // Range and conditional requests are not implemented by the reference, so its numbers would
  // compare 200s with 206s and 304s.
  {
    id: "deno",
    label: "Deno.serve ref",
    only: ["1k-c50", "1k-c256", "64k-c50", "10m-c8", "1k-close", "404-c50", "idle"],
    start: startDenoRef,
  },
  // The floor under ours: Deno's accept, read, write and close with responses prepared once,
  // so only the cases whose answer is one fixed small response. Over TLS it is the floor
  // Deno's listenTls (rustls) sets.
  {
    id: "raw",
    label: "raw Deno loop",
    only: ["1k-c50", "1k-c256", "64k-c50", "1k-close", "404-c50", "tls-1k-c50", "tls-close-c50"],
    start: startRawLoop,
  },
];

/**
 * Whether a server runs a case.
 * @param s the server
 * @param caseId the case id
 * @returns true when it does
 */
export function runsCase(s: ServerDef, caseId: string): boolean {
  return s.only === null || s.only.includes(caseId);
}

/**
 * The servers of a run: the chosen rows, each of ours followed by the same row from every
 * checkout, so a revision's row runs when its row runs (BENCH_SERVERS selects `ours`, and
 * `ours @<sha>` comes with it) and sits beside it in the table.
 * @param servers the chosen rows, in order
 * @param checkouts other revisions, in BENCH_REVS order
 * @returns the rows to start, in order
 * @example
 * withCheckouts(SERVERS.slice(0, 1), [{ short: "b50dee1", dir: "/t/rev-b50dee1" }])
 *   .map((s) => s.label); // ["ours", "ours @b50dee1"]
 */
export function withCheckouts(
  servers: readonly ServerDef[],
  checkouts: readonly CheckoutDir[],
): ServerDef[] {
  return servers.flatMap((s) => {
    const at = s.atCheckout;
    return at === undefined ? [s] : [s, ...checkouts.map((c) => at(c))];
  });
}
