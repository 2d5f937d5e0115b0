/**
 * `deno task dev`: run the server for development. It restarts the server when the code
 * (main.ts, lib/), http.conf or an error page changes (deno's own --watch follows imported
 * modules only), and shows on the terminal what the server writes to its logs: each request
 * as a short line coloured by status (from the access log, followed as it grows) and the
 * warnings and errors the server copies to stderr. Colours only on a terminal, never with
 * NO_COLOR set. Arguments go to the server (`deno task dev --port 0 --config my.conf`). An
 * http.conf that does not load is reported, and the next change is waited for.
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli } from "../lib/config/cli.ts";
import { type Config, parseConfig, withOverrides } from "../lib/config/config.ts";
import { paint, parseAccessLine, requestLine, restartsOn, stderrLine } from "./dev_format.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(REPO, "main.ts");
const LIB = join(REPO, "lib");
/** The permissions of `deno task start`. */
const SERVER_FLAGS = [
  "run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-ffi",
];
/** Changes closer together than this are one change (an editor writes a file in steps). */
const SETTLE_MS = 200;
const TAIL_MS = 200;
/** Longest wait for a stopping server before it is killed. */
const STOP_MS = 15_000;

const p = paint(Deno.stdout.isTerminal() && !Deno.noColor);
const enc = new TextEncoder();
const say = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));

/** The config the server will read (for the files to watch and the access log to follow). */
function loadConfig(args: string[]): Config | string {
  try {
    const cli = parseCli(args);
    const file = resolve(cli.config ?? join(REPO, "http.conf"));
    const config = parseConfig(Deno.readTextFileSync(file), {
      file,
      baseDir: dirname(file),
      cpus: navigator.hardwareConcurrency,
    });
    return withOverrides(config, {
      port: cli.port,
      root: cli.root,
      workers: cli.workers,
      cwd: Deno.cwd(),
    });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Follows a log file as it grows (from its end when started; from the start of a new file). */
class Tail {
  #path = "";
  #offset = 0;
  #partial = "";
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(onLine: (line: string) => void) {
    this.#timer = setInterval(() => this.#poll(onLine), TAIL_MS);
  }

  follow(path: string): void {
    if (path === this.#path) return;
    this.#path = path;
    this.#partial = "";
    try {
      this.#offset = path === "" ? 0 : Deno.statSync(path).size;
    } catch {
      this.#offset = 0;
    }
  }

  #poll(onLine: (line: string) => void): void {
    if (this.#path === "") return;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.#path, { read: true });
    } catch {
      return; // not there yet
    }
    try {
      const size = file.statSync().size;
      if (size < this.#offset) this.#offset = 0; // rotated or truncated: a new file
      if (size === this.#offset) return;
      const buf = new Uint8Array(Math.min(size - this.#offset, 1 << 20));
      file.seekSync(this.#offset, Deno.SeekMode.Start);
      const n = file.readSync(buf) ?? 0;
      this.#offset += n;
      const text = this.#partial + new TextDecoder().decode(buf.subarray(0, n));
      const lines = text.split("\n");
      this.#partial = lines.pop()!;
      for (const l of lines) if (l !== "") onLine(l);
    } finally {
      file.close();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Print each line of a stream as it comes. */
async function lines(
  stream: ReadableStream<Uint8Array>,
  onLine: (l: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const l of parts) onLine(l.replace(/\r$/, ""));
  }
  if (rest !== "") onLine(rest);
}

/** The running server, if any. */
let child: { proc: Deno.ChildProcess; done: Promise<unknown> } | null = null;

function start(args: string[]): void {
  const proc = new Deno.Command(Deno.execPath(), {
    args: [...SERVER_FLAGS, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = Promise.all([
    lines(proc.stdout, (l) => say(/listening on/.test(l) ? p.bold(p.green(l)) : l)),
    lines(proc.stderr, (l) => say(stderrLine(l, p))),
    proc.status.then((s) => {
      if (child?.proc === proc && s.code !== 0) {
        say(p.red(`server exited with status ${s.code}: waiting for a change to restart it`));
      }
    }),
  ]);
  child = { proc, done };
}

async function stop(): Promise<void> {
  const c = child;
  child = null;
  if (c === null) return;
  try {
    c.proc.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      c.proc.kill("SIGKILL");
    } catch { /* gone */ }
  }, STOP_MS);
  await c.proc.status;
  clearTimeout(timer);
  await c.done;
}

async function main(args: string[]): Promise<number> {
  const tail = new Tail((l) => {
    const a = parseAccessLine(l);
    say(a === null ? l : requestLine(a, p));
  });
  let watched = { lib: LIB, main: MAIN, config: "", pages: [] as string[] };
  const watchers: Deno.FsWatcher[] = [];
  let changed: (path: string) => void = () => {};

  /** (Re)read the config and watch what it names; false when it does not load. */
  const configure = (): boolean => {
    const c = loadConfig(args);
    for (const w of watchers.splice(0)) w.close();
    const config = typeof c === "string" ? null : c;
    const file = config?.file ?? resolve(parseCliSafe(args) ?? join(REPO, "http.conf"));
    const pages = config === null
      ? watched.pages
      : [config.errorPages, ...Object.values(config.errorDocuments)];
    watched = { lib: LIB, main: MAIN, config: file, pages };
    const recursive = [LIB, ...pages.filter((d) => isFolder(d))];
    const flat = [
      ...new Set([dirname(MAIN), dirname(file), ...pages.filter((d) => !isFolder(d)).map(dirname)]),
    ];
    for (const [paths, rec] of [[recursive, true], [flat, false]] as const) {
      const w = Deno.watchFs([...paths], { recursive: rec });
      watchers.push(w);
      (async () => {
        for await (const e of w) {
          for (const path of e.paths) if (restartsOn(path, watched)) changed(path);
        }
      })().catch(() => {});
    }
    if (config === null) {
      say(p.red(typeof c === "string" ? c : "cannot load the config"));
      return false;
    }
    tail.follow(config.accessLog);
    if (config.accessLog === "") say(p.yellow("AccessLog is Off: requests are not shown"));
    return true;
  };

  say(p.dim(`deno task dev: restarts on changes to main.ts, lib/, the config and error pages`));
  if (configure()) start(args);

  let timer: ReturnType<typeof setTimeout> | null = null;
  let restarting = Promise.resolve();
  changed = (path) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      restarting = restarting.then(async () => {
        say(
          p.cyan(
            `${
              path.startsWith(REPO + "/") ? path.slice(REPO.length + 1) : path
            } changed: restarting`,
          ),
        );
        await stop();
        if (configure()) start(args);
      });
    }, SETTLE_MS);
  };

  const signal = await new Promise<string>((res) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, () => res(s));
  });
  say(p.dim(`caught ${signal}, stopping`));
  if (timer !== null) clearTimeout(timer);
  await restarting;
  await stop();
  tail.stop();
  for (const w of watchers) w.close();
  return 0;
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The --config argument, read even when the rest of the command line is wrong. */
function parseCliSafe(args: string[]): string | undefined {
  try {
    return parseCli(args).config;
  } catch {
    return undefined;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
