/**
 * httpserver: read http.conf, open the logs, start the worker pool, print the listening line,
 * and shut down cleanly on SIGINT/SIGTERM.
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePasswordFile } from "./lib/auth/password_file.ts";
import { HELP_TEXT, parseCli } from "./lib/config/cli.ts";
import { type Config, ConfigError, parseConfig, withOverrides } from "./lib/config/config.ts";
import { SERVER_NAME, SERVER_VERSION, SESSION_KEY_LENGTH } from "./lib/config/defaults.ts";
import type { ErrorRecord } from "./lib/log/error_log.ts";
import { DELETED_CHECK_MS, LogOpenError, LogWriter, STDERR_LEVEL } from "./lib/log/log_writer.ts";
import { loadErrorTemplates } from "./lib/pages/error_pages.ts";
import { formatHostPort, resolveListenPort } from "./lib/server/listener.ts";
import { PROTOCOL_VERSION } from "./lib/server/messages.ts";
import { StatusBoard } from "./lib/server/status_board.ts";
import { sweepOrphanUploads } from "./lib/static/upload_sweep.ts";
import { WorkerPool } from "./lib/server/worker_pool.ts";

const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
const err = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s + "\n"));

/** Folder holding http.conf by default: next to the binary when compiled, else next to main.ts. */
function homeDir(): string {
  return Deno.build.standalone ? dirname(Deno.execPath()) : dirname(fileURLToPath(import.meta.url));
}

function loadConfig(args: ReturnType<typeof parseCli>): { config: Config; text: string } {
  const file = resolve(args.config ?? resolve(homeDir(), "http.conf"));
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    throw new ConfigError(`cannot read the config file: ${e instanceof Error ? e.message : e}`, {
      file,
      line: null,
      key: null,
    });
  }
  const config = parseConfig(text, {
    file,
    baseDir: dirname(file),
    cpus: navigator.hardwareConcurrency,
  });
  const checked = withOverrides(config, {
    port: args.port,
    root: args.root,
    workers: args.workers,
    cwd: Deno.cwd(),
  });
  checkFolder(checked.documentRoot, "DocumentRoot", text, file, args.root !== undefined);
  checkFolder(checked.errorPages, "ErrorPages", text, file, false);
  checkPasswordFile(checked.passwordFile, text, file);
  return { config: checked, text };
}

/** A PasswordFile that cannot be read or parsed stops start-up (workers would refuse every write). */
function checkPasswordFile(path: string, text: string, file: string): void {
  if (path === "") return;
  try {
    parsePasswordFile(Deno.readTextFileSync(path));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(`"${path}": ${why}`, {
      file,
      line: lineOf(text, "PasswordFile"),
      key: "PasswordFile",
    });
  }
}

/** Fail start-up naming the key and its line when a configured folder is missing. */
function checkFolder(
  path: string,
  key: string,
  text: string,
  file: string,
  fromCli: boolean,
): void {
  let ok = false;
  try {
    ok = Deno.statSync(path).isDirectory;
  } catch { /* reported below */ }
  if (ok) return;
  const line = fromCli ? null : lineOf(text, key);
  const detail = `"${path}" is not a folder${fromCli ? " (from --root)" : ""}`;
  throw new ConfigError(detail, { file, line, key });
}

function lineOf(text: string, key: string): number | null {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  return i < 0 ? null : i + 1;
}

function readTemplate(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The session signing secret: SessionKey, SessionKeyFile, or random for this run only. */
function loadSessionKey(config: Config): SessionKey {
  if (config.sessionKey !== "") return { key: config.sessionKey, generated: false };
  if (config.sessionKeyFile === "") {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return { key, generated: true };
  }
  const where = { file: config.file, line: null, key: "SessionKeyFile" };
  let text: string;
  try {
    text = Deno.readTextFileSync(config.sessionKeyFile);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(
      `cannot read the session key file "${config.sessionKeyFile}": ${why}`,
      where,
    );
  }
  const key = text.trim();
  const { min, max } = SESSION_KEY_LENGTH;
  if (key.length < min || key.length > max) {
    throw new ConfigError(
      `the session key file "${config.sessionKeyFile}" must hold ${min} to ${max} characters`,
      where,
    );
  }
  return { key, generated: false };
}

interface SessionKey {
  readonly key: string;
  /** Made up for this run (no SessionKey or SessionKeyFile). */
  readonly generated: boolean;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

function mainRecord(level: ErrorRecord["level"], message: string): ErrorRecord {
  return { timeMs: Date.now(), level, module: "core", message, tid: 0 };
}

async function openLogs(config: Config, text: string): Promise<LogWriter> {
  try {
    return await LogWriter.open({
      accessLog: config.accessLog,
      errorLog: config.errorLog,
      level: config.logLevel,
      stderrLevel: STDERR_LEVEL,
    });
  } catch (e) {
    if (!(e instanceof LogOpenError)) throw e;
    throw new ConfigError(e.message, { file: config.file, line: lineOf(text, e.key), key: e.key });
  }
}

async function run(config: Config, text: string, session: SessionKey): Promise<number> {
  const logs = await openLogs(config, text);
  const templates = Object.fromEntries(
    loadErrorTemplates(config.errorPages, config.errorDocuments, readTemplate),
  );
  if (config.sessions && session.generated) {
    logs.error(mainRecord(
      "warn",
      "no SessionKey or SessionKeyFile: signing session cookies with a random key, so sessions " +
        "will not survive a restart nor be shared with other instances",
    ));
  }
  const port = resolveListenPort(config.listen.host, config.listen.port);
  const board = new StatusBoard({
    server: `${SERVER_NAME}/${SERVER_VERSION}`,
    hostname: hostname(),
    pid: Deno.pid,
    workers: config.workers,
    sessions: config.sessions,
    servers: config.memcached.map((a) => formatHostPort(a.host, a.port)).join(", "),
  });
  const sweeper = uploadSweeper(config, (m) => logs.error(mainRecord("notice", m)));
  const pool: WorkerPool = new WorkerPool({
    size: config.workers,
    workerUrl: new URL("./lib/server/worker_main.ts", import.meta.url),
    startMessage: (id) => ({
      type: "start",
      version: PROTOCOL_VERSION,
      id,
      config,
      port,
      templates,
      sessionKey: session.key,
    }),
    onMessage(m) {
      const note = board.onMessage(m);
      if (note !== null) logs.error({ ...mainRecord(note.level, note.message), module: "session" });
      if (m.type === "status-request") {
        pool.send(m.id, { type: "status", seq: m.seq, instance: board.snapshot(pool.restarts) });
      }
      if (m.type !== "log") return;
      if (m.access !== null) logs.access(m.access);
      if (m.errors !== null) logs.errorLines(m.errors, m.stderrText);
    },
    onEvent: (level, message) => {
      logs.error(mainRecord(level, message));
      // A worker that died may have left unfinished uploads: sweep once they are surely orphaned.
      if (level === "crit") sweeper.later();
    },
  });
  try {
    await pool.start();
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    await pool.stop(0);
    await logs.close();
    return 1;
  }
  const where = `http://${formatHostPort(config.listen.host, port)}`;
  logs.error(
    mainRecord(
      "notice",
      `${SERVER_NAME}/${SERVER_VERSION} listening on ${where} (${config.workers} workers)`,
    ),
  );
  out(`${SERVER_NAME} listening on ${where} (${config.workers} workers)`);
  sweeper.now();
  // SIGUSR1 (nginx's signal for it) reopens the logs after logrotate renamed them. SIGHUP does
  // the same for a server run as a service (an administrator may send it by habit; by default
  // it would kill the process), but stops one run from a terminal, as closing the terminal
  // should, rather than leave it serving in the background.
  const hangUpStops = Deno.stdin.isTerminal();
  const reopenOn = hangUpStops ? ["SIGUSR1"] as const : ["SIGUSR1", "SIGHUP"] as const;
  // Workers that append their own access lines (AccessLogFlush 0) reopen them too.
  const reopenWorkers = () => {
    for (let id = 1; id <= config.workers; id++) pool.send(id, { type: "reopen-logs" });
  };
  for (const s of reopenOn) {
    Deno.addSignalListener(s, () => void reopenLogs(logs, s).then(reopenWorkers));
  }
  // A log file deleted while open is created again by name (and error.log says so).
  const logCheck = setInterval(async () => {
    if ((await logs.recreateDeleted()).includes("AccessLog")) reopenWorkers();
  }, DELETED_CHECK_MS);
  const stopOn = hangUpStops
    ? ["SIGINT", "SIGTERM", "SIGHUP"] as const
    : ["SIGINT", "SIGTERM"] as const;
  const signal = await new Promise<string>((res) => {
    for (const s of stopOn) Deno.addSignalListener(s, () => res(s));
  });
  logs.error(mainRecord("notice", `caught ${signal}, shutting down`));
  clearInterval(logCheck);
  board.stopping();
  sweeper.stop();
  await pool.stop(config.shutdownGraceMs);
  logs.error(mainRecord("notice", "shutdown complete"));
  await logs.close();
  return 0;
}

/** Reopen both logs by name (log rotation) and say so in the (new) error log. */
async function reopenLogs(logs: LogWriter, signal: string): Promise<void> {
  const problems = await logs.reopen();
  const note = signal === "SIGHUP"
    ? " (http.conf is read only at start: restart to apply changes)"
    : "";
  logs.error(mainRecord("notice", `caught ${signal}, logs reopened${note}`));
  for (const p of problems) {
    logs.error(mainRecord("error", `cannot reopen ${p}; still writing to the old file`));
  }
}

/**
 * Sweeps for orphaned upload temp files (see upload_sweep.ts) in the folders writes can reach:
 * at start and after a worker dies. Nothing to do when the server accepts no writes.
 */
function uploadSweeper(config: Config, note: (message: string) => void) {
  const prefixes = [...(config.writeAccess ? config.writePaths : []), ...config.uploadPaths];
  const folders = prefixes.map((p) => join(config.documentRoot, p));
  const olderThanMs = 2 * config.requestTimeoutMs;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  const run = async () => {
    if (folders.length === 0 || running) return;
    running = true;
    try {
      const removed = await sweepOrphanUploads(folders, olderThanMs);
      if (removed.length > 0) {
        note(
          `removed ${removed.length} unfinished upload file(s) left by an earlier crash, e.g. ` +
            removed[0],
        );
      }
    } finally {
      running = false;
    }
  };
  return {
    now: () => void run(),
    /** Sweep once the files of uploads cut short now are old enough to be swept. */
    later() {
      if (timer === null && folders.length > 0) {
        timer = setTimeout(() => {
          timer = null;
          void run();
        }, olderThanMs);
      }
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseCli(Deno.args);
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}\n\n${HELP_TEXT}`);
    return 2;
  }
  if (args.help) return out(HELP_TEXT), 0;
  if (args.version) return out(`${SERVER_NAME} ${SERVER_VERSION}`), 0;
  if (args.hashPassword !== undefined) {
    // --hash-password USER: password on stdin (no echo needed), PasswordFile line on stdout.
    const { passwordFromInput, passwordLine } = await import("./lib/auth/password_file.ts");
    try {
      const input = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
      out(await passwordLine(args.hashPassword, passwordFromInput(input)));
      return 0;
    } catch (e) {
      err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
      return 1;
    }
  }
  let loaded;
  let session: SessionKey;
  try {
    loaded = loadConfig(args);
    session = loadSessionKey(loaded.config);
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  const { config, text } = loaded;
  if (args.checkConfig) {
    out(`${SERVER_NAME}: the configuration file ${config.file} syntax is ok`);
    return 0;
  }
  try {
    return await run(config, text, session);
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}

Deno.exit(await main());
