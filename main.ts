/**
 * httpserver: read http.conf, open the logs, start the worker pool, print the listening line,
 * and shut down cleanly on SIGINT/SIGTERM.
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePasswordFile } from "./lib/auth/password_file.ts";
import { HELP_TEXT, parseCli } from "./lib/config/cli.ts";
import { type Config, ConfigError, parseConfig, withOverrides } from "./lib/config/config.ts";
import { isUnder, ownFiles } from "./lib/config/own_files.ts";
import { SERVER_NAME, SERVER_VERSION, SESSION_KEY_LENGTH } from "./lib/config/defaults.ts";
import type { ErrorRecord } from "./lib/log/error_log.ts";
import { LogOpenError, LogWriter, STDERR_LEVEL } from "./lib/log/log_writer.ts";
import { loadErrorTemplates } from "./lib/pages/error_pages.ts";
import { formatHostPort, resolveListenPort } from "./lib/server/listener.ts";
import { PROTOCOL_VERSION } from "./lib/server/messages.ts";
import { checkConfig } from "./lib/server/preflight.ts";
import { StatusBoard } from "./lib/server/status_board.ts";
import { readKernelValue } from "./lib/server/libc.ts";
import { certificateMayBeAbsent, TlsCertificates } from "./lib/server/tls_certificates.ts";
import { readTlsMaterial, type TlsMaterial } from "./lib/server/tls_material.ts";
import { ChallengeFanout } from "./lib/server/acme_fanout.ts";
import {
  type AcmeService,
  type AcmeSetup,
  AcmeSetupError,
  checkAcme,
  startAcme,
  startingView,
} from "./lib/server/acme_service.ts";
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
    tlsPort: args.tlsPort,
    cwd: Deno.cwd(),
  });
  checkFolder(checked.documentRoot, "DocumentRoot", text, file, args.root !== undefined);
  checkFolder(checked.errorPages, "ErrorPages", text, file, false);
  checkPasswordFile(checked.passwordFile, text, file);
  checkTlsFiles(checked, text, file);
  return { config: checked, text };
}

/** With HTTPS on, the certificate and key must be usable at start, unless they will come. */
function checkTlsFiles(c: Config, text: string, file: string): void {
  if (c.tlsListen === null || certificateMayBeAbsent(c)) return;
  const m = readTlsMaterial({ certificate: c.tlsCertificate, key: c.tlsKey });
  if (m instanceof Error) {
    throw new ConfigError(m.message, {
      file,
      line: lineOf(text, "TLSCertificate"),
      key: "TLSCertificate",
    });
  }
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

/**
 * A warning for each of the server's own files (secrets, logs, http.conf) under DocumentRoot:
 * the server never serves them, but they do not belong there.
 */
function ownFilesInRoot(config: Config): string[] {
  const real = (p: string): string => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return dirname(p) === p ? p : join(real(dirname(p)), basename(p)); // not created yet
    }
  };
  const root = real(config.documentRoot);
  return ownFiles(config).filter((f) => isUnder(real(f.path), root)).map((f) =>
    `${f.key} "${f.path}" lies under DocumentRoot "${config.documentRoot}": it is never ` +
    "served, but keep it outside the document root"
  );
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

async function run(
  config: Config,
  text: string,
  session: SessionKey,
  misplaced: readonly string[],
): Promise<number> {
  const acmeSetup = config.acme ? checkAcmeSettings(config, text) : null;
  const logs = await openLogs(config, text);
  for (const m of misplaced) logs.error(mainRecord("warn", m));
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
  const https = startHttps(config, logs, (m) => pool.broadcast({ type: "tls", material: m }));
  const fanout = acmeSetup === null
    ? null
    : new ChallengeFanout({ workers: config.workers, send: (id, m) => pool.send(id, m) });
  let acme: AcmeService | null = null;
  const board = new StatusBoard({
    server: `${SERVER_NAME}/${SERVER_VERSION}`,
    hostname: hostname(),
    pid: Deno.pid,
    workers: config.workers,
    sessions: config.sessions,
    servers: config.memcached.map((a) => formatHostPort(a.host, a.port)).join(", "),
    https: () => https?.certificates.view() ?? null,
    ...(fanout === null ? {} : { acme: () => acme?.manager.view() ?? startingView(config) }),
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
      tls: https === null ? null : { port: https.port, material: https.certificates.current },
      acmeChallenges: fanout?.tokens ?? {},
    }),
    onMessage(m) {
      if (m.type === "tls") https?.certificates.onWorkerReply(m);
      fanout?.onMessage(m);
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
  const plain = `http://${formatHostPort(config.listen.host, port)}`;
  const where = https?.certificates.current ? `${plain} and ${https.where}` : plain;
  https?.certificates.start();
  logs.error(
    mainRecord(
      "notice",
      `${SERVER_NAME}/${SERVER_VERSION} listening on ${where} (${config.workers} workers)`,
    ),
  );
  out(`${SERVER_NAME} listening on ${where} (${config.workers} workers)`);
  // Plain HTTP serves already; the ACME client loads, and a certificate due is ordered, behind.
  const acmeStarted = acmeSetup === null || fanout === null
    ? Promise.resolve(null)
    : startAutomaticCertificates(
      acmeSetup,
      { config, port, secret: session.key },
      logs,
      fanout,
      // The new certificate.pem and key.pem: HTTPS serves them now, not at its next check.
      () => https?.certificates.recheck("ACME"),
    )
      .then((started) => (acme = started));
  sweeper.now();
  // SIGUSR1 (nginx's signal for it) reopens the logs after logrotate renamed them. SIGHUP does
  // the same for a server run as a service (an administrator may send it by habit; by default
  // it would kill the process), but stops one run from a terminal, as closing the terminal
  // should, rather than leave it serving in the background.
  const hangUpStops = Deno.stdin.isTerminal();
  const reopenOn = hangUpStops ? ["SIGUSR1"] as const : ["SIGUSR1", "SIGHUP"] as const;
  for (const s of reopenOn) {
    Deno.addSignalListener(s, () => {
      void reopenLogs(logs, s);
      if (s === "SIGHUP") https?.certificates.recheck(s); // reload the TLS material
    });
  }
  const stopOn = hangUpStops
    ? ["SIGINT", "SIGTERM", "SIGHUP"] as const
    : ["SIGINT", "SIGTERM"] as const;
  const signal = await new Promise<string>((res) => {
    for (const s of stopOn) Deno.addSignalListener(s, () => res(s));
  });
  logs.error(mainRecord("notice", `caught ${signal}, shutting down`));
  board.stopping();
  sweeper.stop();
  https?.certificates.stop();
  (await acmeStarted)?.close();
  await pool.stop(config.shutdownGraceMs);
  logs.error(mainRecord("notice", "shutdown complete"));
  await logs.close();
  return 0;
}

/**
 * HTTPS (TLSListen): resolve its port, read the certificate (tls_certificates.ts), and warn
 * once when the kernel would reset queued connections at each certificate swap. The workers
 * get the pair in their start message and `send()` gives them a new one; SIGHUP and an ACME
 * client call `certificates.recheck()`. Null when HTTPS is off.
 * @throws Error when the port cannot be bound or the files cannot serve (and may not be absent)
 */
function startHttps(
  config: Config,
  logs: LogWriter,
  send: (m: TlsMaterial) => void,
): { port: number; where: string; certificates: TlsCertificates } | null {
  const at = config.tlsListen;
  if (at === null) return null;
  const port = resolveListenPort(at.host, at.port);
  const where = `https://${formatHostPort(at.host, port)}`;
  const certificates = new TlsCertificates({
    files: { certificate: config.tlsCertificate, key: config.tlsKey },
    intervalMs: config.tlsReloadIntervalMs,
    mayBeAbsent: certificateMayBeAbsent(config),
    where,
    workers: config.workers,
    send,
    log: (level, message) => logs.error({ ...mainRecord(level, message), module: "tls" }),
    announce: (line) => out(`${SERVER_NAME} ${line}`),
  });
  certificates.loadAtStart();
  // Closing a listener (each certificate swap) resets the connections in its accept queue
  // unless the kernel moves them to another listener of the port (Linux >= 5.14).
  const migrate = readKernelValue("/proc/sys/net/ipv4/tcp_migrate_req");
  if (migrate === "0") {
    const warning = "net.ipv4.tcp_migrate_req is 0: each certificate renewal may reset the " +
      "connections waiting to be accepted on the HTTPS port; set it to 1 (see README, HTTPS)";
    logs.error({ ...mainRecord("warn", warning), module: "tls" });
    err(`${SERVER_NAME}: warning: ${warning}`);
  } else if (migrate instanceof Error) {
    logs.error({
      ...mainRecord("info", `cannot read net.ipv4.tcp_migrate_req: ${migrate.message}`),
      module: "tls",
    });
  }
  return { port, where, certificates };
}

/** ACME On: ACMEStorage ready and ACMECA readable, or a ConfigError naming the key. */
function checkAcmeSettings(config: Config, text: string): AcmeSetup {
  try {
    return checkAcme(config);
  } catch (e) {
    if (!(e instanceof AcmeSetupError)) throw e;
    throw new ConfigError(e.message, { file: config.file, line: lineOf(text, e.key), key: e.key });
  }
}

/** Start automatic certificates (plain HTTP serves already); null when they cannot start. */
async function startAutomaticCertificates(
  setup: AcmeSetup,
  where: { config: Config; port: number; secret: string },
  logs: LogWriter,
  fanout: ChallengeFanout,
  certificateWritten: () => void,
): Promise<AcmeService | null> {
  const log = (level: ErrorRecord["level"], message: string) =>
    logs.error({ ...mainRecord(level, message), module: "acme" });
  try {
    return await startAcme(setup, {
      ...where,
      fanout,
      log,
      certificateWritten,
    });
  } catch (e) {
    log(
      "error",
      `automatic certificates cannot start: ${e instanceof Error ? e.message : e}; ` +
        "plain HTTP keeps serving",
    );
    return null;
  }
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
      const removed = await sweepOrphanUploads({ root: config.documentRoot, folders, olderThanMs });
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
    // --hash-password USER: the password typed twice with echo off on a terminal, else read
    // from standard input; the PasswordFile line on stdout.
    const { passwordFromInput, passwordLine } = await import("./lib/auth/password_file.ts");
    const { passwordFromTerminal } = await import("./lib/auth/password_prompt.ts");
    try {
      const input = Deno.stdin.isTerminal()
        ? await passwordFromTerminal(args.hashPassword)
        : new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
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
  if (config.acme && config.memcached.length > 0 && session.generated) {
    // The instances share the certificate's key through memcached, sealed with this secret.
    err(`${SERVER_NAME}: ${
      new ConfigError(
        "with Memcached, the instances share the certificate through memcached, sealed with " +
          "the session secret: set SessionKey or SessionKeyFile, the same on every instance",
        { file: config.file, line: lineOf(text, "ACME"), key: "ACME" },
      ).message
    }`);
    return 1;
  }
  const misplaced = ownFilesInRoot(config);
  for (const m of misplaced) err(`${SERVER_NAME}: [warn] ${m}`);
  if (args.checkConfig) return await checkConfig(config, text, { out, err }, SERVER_NAME);
  try {
    return await run(config, text, session, misplaced);
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}

Deno.exit(await main());
