/**
 * Start the real server as a subprocess on port 0 with a temporary http.conf, wait for its
 * listening line, and stop it with a real signal.
 * @module
 */

import { dirname, fromFileUrl, join } from "./paths.ts";

/** The repository root. */
export const REPO = join(dirname(fromFileUrl(import.meta.url)), "..", "..");

/** Options for a test server. */
export interface ServerOptions {
  /** http.conf keys to set (replacing the bundled value), e.g. { DirectoryListing: "On" }. */
  readonly conf?: Readonly<Record<string, string>>;
  /** Extra raw lines appended to http.conf (e.g. an [ErrorDocument] section). */
  readonly extra?: string;
  /** A last edit of the http.conf text (e.g. a rule added under [CacheControl]). */
  readonly edit?: (text: string) => string;
  /** Copy www/html into the temp folder and serve the copy (default true). */
  readonly copySite?: boolean;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
  /** Workers (default 2). */
  readonly workers?: number;
  /** Run the server under `ulimit -n` this many descriptors (to provoke EMFILE). */
  readonly maxOpenFiles?: number;
  /**
   * Run the server with a terminal for stdin, stdout and stderr (through util-linux `script`),
   * as when started by hand; `proc` is then script's process, the server its only child.
   */
  readonly terminal?: boolean;
  /** Environment variables for the server (added to the test's own). */
  readonly env?: Readonly<Record<string, string>>;
  /** The program to run instead of main.ts (a fixture wrapping it). */
  readonly entry?: string;
  /**
   * Called with the document root once the site is copied, before the server starts; returns
   * a command that runs the server given as its trailing arguments (and execs it, so signals
   * reach it), e.g. `unshare -m` mounting a read-only folder into the root.
   */
  readonly wrap?: (root: string) => readonly string[];
  /** Run without --allow-ffi (what happens where FFI is not granted). */
  readonly withoutFfi?: boolean;
}

/** A running server. */
export interface TestServer {
  readonly port: number;
  /** The HTTPS port, when the start line named one. */
  readonly tlsPort: number | null;
  readonly dir: string;
  readonly root: string;
  readonly proc: Deno.ChildProcess;
  readonly url: string;
  /** Lines printed so far on stdout. */
  stdout(): string;
  stderr(): string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Text of a log file in the temp folder (after the server flushed it). */
  readLog(name: "access.log" | "error.log"): string;
  /**
   * Rewrite http.conf as startServer wrote it, with `conf` keys replaced and `extra` appended
   * (to be applied by a reload).
   */
  rewriteConfig(
    conf: Readonly<Record<string, string>>,
    extra?: string,
    edit?: (text: string) => string,
  ): void;
}

/** The bundled http.conf with some keys replaced (ErrorPages made absolute so it works from a temp folder). */
export function configText(conf: Readonly<Record<string, string>>, extra = ""): string {
  let text = Deno.readTextFileSync(join(REPO, "http.conf"));
  for (const [key, value] of Object.entries({ ErrorPages: join(REPO, "error"), ...conf })) {
    const re = new RegExp(`^${key}\\s*=.*$`, "m");
    text = re.test(text)
      ? text.replace(re, `${key} = ${value}`)
      : text.replace(/^\[/m, `${key} = ${value}\n[`);
  }
  return text + "\n" + extra;
}

/** A fresh folder under tests/tmp. */
export function tempDir(): string {
  Deno.mkdirSync(join(REPO, "tests", "tmp"), { recursive: true });
  return Deno.makeTempDirSync({ dir: join(REPO, "tests", "tmp"), prefix: "srv-" });
}

function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory) copyTree(a, b);
    else Deno.copyFileSync(a, b);
  }
}

/** The deno flags the server runs with (same as `deno task start`). */
export const RUN_FLAGS = [
  "run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-ffi",
];

/** Start the server and wait (up to 20 s) for its listening line. */
export async function startServer(o: ServerOptions = {}): Promise<TestServer> {
  const dir = tempDir();
  const root = o.copySite === false ? join(REPO, "www", "html") : join(dir, "html");
  if (o.copySite !== false) copyTree(join(REPO, "www", "html"), root);
  Deno.mkdirSync(join(dir, "logs"));
  const base = {
    Listen: "127.0.0.1:0",
    DocumentRoot: root,
    ErrorPages: join(REPO, "error"),
    AccessLog: join(dir, "logs", "access.log"),
    ErrorLog: join(dir, "logs", "error.log"),
    Workers: String(o.workers ?? 2),
    Memcached: "",
  };
  const writeConf = (
    conf: Readonly<Record<string, string>>,
    extra?: string,
    edit = (t: string) => t,
  ) =>
    Deno.writeTextFileSync(join(dir, "http.conf"), edit(configText({ ...base, ...conf }, extra)));
  writeConf(o.conf ?? {}, o.extra, o.edit);
  const run = [
    Deno.execPath(),
    ...RUN_FLAGS.filter((f) => !(o.withoutFfi && f === "--allow-ffi")),
    o.entry ?? join(REPO, "main.ts"),
    "--config",
    join(dir, "http.conf"),
    ...(o.args ?? []),
  ];
  // With a terminal, script runs the server as its child on a new pty. With a descriptor limit,
  // sh sets it and execs the server: same process, same signals.
  const quoted = run.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const [cmd, ...args] = o.terminal
    ? ["script", "-qec", `exec ${quoted}`, "/dev/null"]
    : o.maxOpenFiles === undefined
    ? [...(o.wrap?.(root) ?? []), ...run]
    : ["sh", "-c", `ulimit -n ${o.maxOpenFiles} && exec "$@"`, "sh", ...run];
  const proc = new Deno.Command(cmd!, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: o.env ?? {},
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const done = Promise.all([
    pump(proc.stdout, (t) => (out += t)),
    pump(proc.stderr, (t) => (err += t)),
  ]);
  const { port, tlsPort } = await waitForPort(() => out, () => err, proc);
  const server: TestServer = {
    port,
    tlsPort,
    dir,
    root,
    proc,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        proc.kill(signal);
      } catch { /* already gone */ }
      const status = await proc.status;
      await done;
      return status.code;
    },
    readLog: (name) => Deno.readTextFileSync(join(dir, "logs", name)),
    rewriteConfig: writeConf,
  };
  return server;
}

/**
 * The start line: `httpserver listening on http://HOST:PORT (N workers)`, with HTTPS
 * `... on http://HOST:PORT and https://HOST:PORT (N workers)`. A terminal ends lines with CRLF.
 */
export const LISTENING_LINE =
  /^httpserver listening on http:\/\/[^\s]+:(\d+)(?: and https:\/\/[^\s]+:(\d+))? \(\d+ workers\)\r?$/m;

async function waitForPort(
  out: () => string,
  err: () => string,
  proc: Deno.ChildProcess,
): Promise<{ port: number; tlsPort: number | null }> {
  let exited = false;
  proc.status.then(() => (exited = true));
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const m = LISTENING_LINE.exec(out());
    if (m) return { port: Number(m[1]), tlsPort: m[2] === undefined ? null : Number(m[2]) };
    if (exited) throw new Error(`server exited before listening:\n${out()}\n${err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    proc.kill("SIGKILL");
  } catch { /* gone */ }
  throw new Error(`server did not print its listening line:\n${out()}\n${err()}`);
}

/** The status code of a raw response ("HTTP/1.1 200 OK..." -> 200; NaN when there is none). */
export function statusOf(response: string): number {
  return Number(response.slice(9, 12));
}

/**
 * What the descriptors of process `pid` (of every process, without one) point to, from
 * /proc/PID/fd (Linux). Read through find: `deno task test` grants --allow-run but not the
 * --allow-all that reading /proc/PID/fd directly needs (without it every read fails).
 */
export async function openFiles(pid?: number): Promise<string[]> {
  const dirs = pid === undefined ? "/proc/[0-9]*/fd" : `/proc/${Math.trunc(pid)}/fd`;
  const r = await new Deno.Command("sh", {
    args: ["-c", `find ${dirs} -type l -printf '%l\\n' 2>/dev/null`],
  }).output();
  return new TextDecoder().decode(r.stdout).split("\n").filter((l) => l !== "");
}

/** Send raw bytes, read until the server closes or `untilClosed` is false and `idleMs` passes. */
export async function rawExchange(
  port: number,
  request: string | Uint8Array,
  opts: { idleMs?: number; halfClose?: boolean } = {},
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = typeof request === "string"
    ? Uint8Array.from(request, (c) => c.charCodeAt(0))
    : request;
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  if (opts.halfClose) await conn.closeWrite();
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  const idle = opts.idleMs ?? 1500;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"idle">((r) => (timer = setTimeout(() => r("idle"), idle))),
    ]);
    clearTimeout(timer);
    if (n === null || n === "idle") break;
    chunks.push(buf.slice(0, n));
  }
  try {
    conn.close();
  } catch { /* closed */ }
  let s = "";
  for (const c of chunks) for (const b of c) s += String.fromCharCode(b);
  return s;
}

/** Wait until a predicate holds (polling), or fail after `ms`. */
export async function eventually(
  pred: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
