/**
 * The server's life on the main thread: open the logs, start the first generation of workers,
 * announce it (stdout, error.log, systemd), then act on signals (signals.ts) until a stop:
 * reload http.conf into a new generation (generations.ts, reload.ts), reopen the logs, feed
 * the systemd watchdog while the workers answer their heartbeat (service_manager.ts), and
 * finally drain every worker and flush the logs.
 * @module
 */

import type { Config } from "../config/config.ts";
import { ConfigError, lineOf } from "../config/config.ts";
import { SERVER_NAME, SERVER_VERSION } from "../config/defaults.ts";
import { formatDuration } from "../config/values.ts";
import type { ErrorRecord } from "../log/error_log.ts";
import {
  DELETED_CHECK_MS,
  LogOpenError,
  type LogTargets,
  LogWriter,
  STDERR_LEVEL,
} from "../log/log_writer.ts";
import { loadErrorTemplates } from "../pages/error_pages.ts";
import { Generations, type GenerationSpec } from "./generations.ts";
import { HttpsService } from "./https_service.ts";
import {
  formatHostPort,
  MIGRATION_WARNING,
  probeMigration,
  resolveListenPort,
} from "./listener.ts";
import { carrySessionKey, reloadFailure, reloadPort } from "./reload.ts";
import type { SystemdEnv } from "./sd_notify.ts";
import { ServiceManager } from "./service_manager.ts";
import { type Event, EventQueue } from "./event_queue.ts";
import { listenForSignals } from "./signals.ts";
import { StatusBoard } from "./status_board.ts";
import { type UploadSweeper, uploadSweeper } from "./upload_sweeper.ts";

/** The session signing secret: SessionKey, SessionKeyFile, or random for this run only. */
export interface SessionKey {
  readonly key: string;
  /** Made up for this run (no SessionKey or SessionKeyFile). */
  readonly generated: boolean;
}

/** http.conf read and checked as start-up checks it. */
export interface Loaded {
  readonly config: Config;
  readonly text: string;
  readonly session: SessionKey;
  /** Warnings for error.log (e.g. the server's own files under DocumentRoot). */
  readonly warnings: readonly string[];
}

/** What main.ts hands the server. */
export interface RunOptions {
  /** The configuration read at start. */
  readonly initial: Loaded;
  /** Read and check http.conf again (a reload). @throws ConfigError */
  load(): Loaded;
  readonly workerUrl: URL;
  /** Started from a terminal: SIGHUP stops rather than reloads. */
  readonly terminal: boolean;
  readonly systemd: SystemdEnv;
  /** Where the outcome of each reload is written for `--wait-reload` ("" = nowhere). */
  readonly runtimeDir: string;
  out(line: string): void;
  err(line: string): void;
}

/** Exit status after a worker got stuck: the process must be replaced (EX_SOFTWARE). */
export const EXIT_STUCK_WORKER = 70;

/** Run until a stop signal; the exit status. */
export async function runServer(o: RunOptions): Promise<number> {
  return await new Lifecycle(o).run();
}

function mainRecord(level: ErrorRecord["level"], message: string): ErrorRecord {
  return { timeMs: Date.now(), level, module: "core", message, tid: 0 };
}

function logTargets(c: Config): LogTargets {
  return {
    accessLog: c.accessLog,
    errorLog: c.errorLog,
    level: c.logLevel,
    stderrLevel: STDERR_LEVEL,
  };
}

/** A log that cannot be opened, as a config error naming its key and line. */
function asConfigError(e: unknown, l: Loaded): unknown {
  if (!(e instanceof LogOpenError)) return e;
  const file = l.config.file;
  return new ConfigError(e.message, { file, line: lineOf(l.text, e.key), key: e.key });
}

function readTemplate(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

const servers = (c: Config) => c.memcached.map((a) => formatHostPort(a.host, a.port)).join(", ");
const RANDOM_KEY_WARNING = "no SessionKey or SessionKeyFile: signing session cookies with a " +
  "random key, so sessions will not survive a restart nor be shared with other instances";

class Lifecycle {
  readonly #o: RunOptions;
  #loaded: Loaded;
  #port = 0;
  #logs!: LogWriter;
  #board!: StatusBoard;
  #gens!: Generations;
  #manager!: ServiceManager;
  #sweeper: UploadSweeper | null = null;
  /** HTTPS and automatic certificates (TLSListen), null when off. */
  #https: HttpsService | null = null;
  readonly #events = new EventQueue();

  constructor(o: RunOptions) {
    this.#o = o;
    this.#loaded = o.initial;
  }

  async run(): Promise<number> {
    const { config } = this.#loaded;
    // Signals from now on wait in the queue: one that comes while starting is acted on once
    // started, rather than killing the process by its default action.
    const unlisten = listenForSignals(this.#o.terminal, (signal, action) => {
      this.#events.push({ signal, action });
    });
    let started = false;
    try {
      started = await this.#start();
    } finally {
      if (!started) unlisten();
    }
    if (!started) return 1;
    const line = this.#listening();
    this.#log("notice", `${SERVER_NAME}/${SERVER_VERSION} ${line}`);
    this.#o.out(`${SERVER_NAME} ${line}`);
    await this.#manager.ready(line);
    // Plain HTTP serves: the certificate files are checked on schedule from now on, and the
    // ACME client loads (and orders a certificate due) behind.
    this.#https?.afterListening(this.#port);
    if ((await probeMigration()) === false) this.#log("warn", MIGRATION_WARNING);
    this.#manager.watch(() => this.#gens.healthy(), () => this.#listening());
    this.#sweeper = uploadSweeper(config, (m) => this.#log("notice", m));
    this.#sweeper.now();
    // A log file deleted while open is created again by name (and error.log says so).
    const logCheck = setInterval(async () => {
      const again = await this.#logs.recreateDeleted();
      if (again.includes("AccessLog")) this.#gens.broadcast({ type: "reopen-logs" });
    }, DELETED_CHECK_MS);
    const stop = await this.#eventLoop();
    clearInterval(logCheck);
    unlisten();
    await this.#stop(stop);
    return stop.signal === null ? EXIT_STUCK_WORKER : 0;
  }

  /** Open the logs and start the first generation; false (said on stderr) when it cannot. */
  async #start(): Promise<boolean> {
    const { config, session } = this.#loaded;
    try {
      this.#logs = await LogWriter.open(logTargets(config));
    } catch (e) {
      throw asConfigError(e, this.#loaded);
    }
    this.#manager = new ServiceManager({
      systemd: this.#o.systemd,
      runtimeDir: this.#o.runtimeDir,
      log: (level, m) => this.#log(level, m),
    });
    for (const m of this.#loaded.warnings) this.#log("warn", m);
    if (config.sessions && session.generated) this.#log("warn", RANDOM_KEY_WARNING);
    this.#port = resolveListenPort(config.listen.host, config.listen.port);
    this.#board = new StatusBoard({
      server: `${SERVER_NAME}/${SERVER_VERSION}`,
      hostname: hostname(),
      pid: Deno.pid,
      workers: 0,
      sessions: config.sessions,
      servers: servers(config),
      https: () => this.#https?.httpsView() ?? null,
      acme: () => this.#https?.acmeView() ?? null,
    });
    this.#gens = this.#generations();
    try {
      this.#https = HttpsService.start(config, this.#loaded.text, session, {
        log: (module, level, message) =>
          this.#logs.error({ ...mainRecord(level, message), module }),
        out: (line) => this.#o.out(line),
        broadcast: (m) => this.#gens.broadcast(m),
        send: (id, m) => this.#gens.send(id, m),
        workerIds: () => this.#gens.ids,
      });
      await this.#gens.switchTo(this.#spec(this.#loaded, this.#port));
      return true;
    } catch (e) {
      this.#o.err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
      await this.#gens.stopAll();
      await this.#https?.stop();
      await this.#logs.close();
      this.#manager.close();
      return false;
    }
  }

  /**
   * "listening on http://host:port (N workers)" for the current generation, with
   * " and https://host:port" once a certificate is served.
   */
  #listening(): string {
    const c = this.#loaded.config;
    const plain = `http://${formatHostPort(c.listen.host, this.#port)}`;
    return `listening on ${plain}${this.#https?.listening() ?? ""} (${c.workers} workers)`;
  }

  #generations(): Generations {
    return new Generations({
      workerUrl: this.#o.workerUrl,
      onMessage: (m, reply) => {
        const note = this.#board.onMessage(m);
        if (note !== null) {
          this.#logs.error({ ...mainRecord(note.level, note.message), module: "session" });
        }
        this.#https?.onMessage(m);
        if (m.type === "status-request") {
          reply({
            type: "status",
            seq: m.seq,
            instance: this.#board.snapshot(this.#gens.restarts),
          });
        }
        if (m.type !== "log") return;
        if (m.access !== null) this.#logs.access(m.access);
        if (m.errors !== null) this.#logs.errorLines(m.errors, m.stderrText);
      },
      onEvent: (level, message) => {
        this.#log(level, message);
        // A worker that died may have left unfinished uploads: sweep once they are orphaned.
        if (level === "crit") this.#sweeper?.later();
      },
      onWorkers: (ids, event) => {
        if (event === "starting") this.#board.addWorkers(ids);
        else if (event === "stopping") this.#board.stopping(ids);
        else this.#board.dropWorkers(ids);
      },
      onStuck: () => this.#events.push({ action: "stop", signal: null }),
    });
  }

  #spec(l: Loaded, port: number): GenerationSpec {
    const templates = Object.fromEntries(
      loadErrorTemplates(l.config.errorPages, l.config.errorDocuments, readTemplate),
    );
    const https = this.#https;
    const plain = { tls: null, acmeChallenges: {} } as const;
    return {
      config: l.config,
      port,
      templates,
      sessionKey: l.session.key,
      secure: () => https?.startFields() ?? plain,
    };
  }

  #log(level: ErrorRecord["level"], message: string): void {
    this.#logs.error(mainRecord(level, message));
  }

  /** Act on events one at a time until a stop, which it returns. */
  async #eventLoop(): Promise<Event> {
    for (;;) {
      const e = await this.#events.next();
      const signal = e.signal ?? "SIGHUP";
      if (e.action === "stop") return e;
      if (e.action === "reload") await this.#reload(signal);
      else if (e.action === "reopen-logs") await this.#reopenLogs(signal);
      else {
        this.#log(
          "warn",
          `caught ${signal} (nginx: upgrade the binary): not supported, ignored; ` +
            "`systemctl restart` runs a new binary, SIGHUP reloads http.conf",
        );
      }
    }
  }

  /** Reopen both logs by name (log rotation) and say so in the (new) error log. */
  async #reopenLogs(signal: Deno.Signal): Promise<void> {
    const problems = await this.#logs.reopen();
    this.#log("notice", `caught ${signal}, logs reopened`);
    for (const p of problems) {
      this.#log("error", `cannot reopen ${p}; still writing to the old file`);
    }
    // Workers that append their own access lines (AccessLogFlush 0) reopen them too.
    this.#gens.broadcast({ type: "reopen-logs" });
  }

  /**
   * Reload http.conf: on success a new generation serves with it; on failure the running one
   * goes on untouched. Either way one error.log line, systemd told, the outcome written.
   */
  async #reload(signal: Deno.Signal): Promise<void> {
    const startedMs = Date.now();
    const file = this.#loaded.config.file ?? "http.conf";
    await this.#manager.reloading();
    this.#log("notice", `caught ${signal}, reloading ${file}`);
    let ok = true;
    let message: string;
    try {
      message = await this.#applyReload();
      this.#log("notice", message);
    } catch (e) {
      ok = false;
      message = reloadFailure(file, e);
      this.#log("error", message);
    }
    await this.#manager.reloaded(startedMs, ok, message);
  }

  /** The steps of a reload; a throw (ConfigError, a start failure) leaves everything as it was. */
  async #applyReload(): Promise<string> {
    const before = this.#loaded;
    const loaded = this.#o.load();
    const next = { ...loaded, session: carrySessionKey(before.session, loaded.session) };
    const c = next.config;
    for (const m of next.warnings) this.#log("warn", m);
    if (c.sessions && next.session.generated && !before.session.generated) {
      this.#log("warn", RANDOM_KEY_WARNING);
    }
    const port = reloadPort(before.config.listen, c.listen, this.#port) ?? this.#checkedPort(next);
    const spec = this.#spec(next, port);
    this.#https?.reload(c, next.text);
    const logs = await this.#logs.prepare(logTargets(c)).catch((e) => {
      throw asConfigError(e, next);
    });
    try {
      await this.#gens.switchTo(spec);
    } catch (e) {
      logs.discard();
      throw e;
    }
    logs.commit();
    this.#loaded = next;
    this.#port = port;
    this.#board.reconfigure({ sessions: c.sessions, servers: servers(c) });
    this.#sweeper?.stop();
    this.#sweeper = uploadSweeper(c, (m) => this.#log("notice", m));
    this.#sweeper.now();
    this.#o.out(`${SERVER_NAME} reloaded: ${this.#listening()}`);
    return `reloaded ${c.file}: generation ${this.#gens.number}, ${this.#listening()}, logs ` +
      `reopened; the previous generation finishes its requests within ShutdownGrace ` +
      `(${formatDuration(before.config.shutdownGraceMs)})`;
  }

  /** A changed Listen: the new address, checked free (port 0 resolved). */
  #checkedPort(next: Loaded): number {
    const { host, port } = next.config.listen;
    try {
      return resolveListenPort(host, port);
    } catch (e) {
      const where = { file: next.config.file, line: lineOf(next.text, "Listen"), key: "Listen" };
      throw new ConfigError(e instanceof Error ? e.message : String(e), where);
    }
  }

  async #stop(e: Event): Promise<void> {
    const why = e.signal === null
      ? `a stuck worker cannot be replaced in this process: shutting down, exit status ` +
        `${EXIT_STUCK_WORKER} (systemd's Restart=on-failure starts a new one)`
      : `caught ${e.signal}, shutting down`;
    await this.#manager.stopping(why);
    this.#log(e.signal === null ? "crit" : "notice", why);
    this.#board.stopping();
    this.#sweeper?.stop();
    await this.#gens.stopAll();
    await this.#https?.stop();
    this.#log("notice", "shutdown complete");
    await this.#logs.close();
    this.#manager.close();
  }
}
