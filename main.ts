/**
 * httpserver: read the command line and http.conf, then run the server (lib/server/lifecycle.ts:
 * workers, logs, signals, reloads, systemd) or one of the command-line tools.
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePasswordFile } from "./lib/auth/password_file.ts";
import { HELP_TEXT, parseCli } from "./lib/config/cli.ts";
import {
  type Config,
  ConfigError,
  lineOf,
  parseConfig,
  withOverrides,
} from "./lib/config/config.ts";
import { isUnder, ownFiles } from "./lib/config/own_files.ts";
import { SERVER_NAME, SERVER_VERSION, SESSION_KEY_LENGTH } from "./lib/config/defaults.ts";
import { type Loaded, runServer, type SessionKey } from "./lib/server/lifecycle.ts";
import { waitForReload } from "./lib/server/reload_status.ts";
import type { SystemdEnv } from "./lib/server/sd_notify.ts";
import { checkConfig } from "./lib/server/preflight.ts";
import { certificateMayBeAbsent } from "./lib/server/tls_certificates.ts";
import { readTlsMaterial } from "./lib/server/tls_material.ts";

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
    tlsPort: args.tlsPort,
    root: args.root,
    workers: args.workers,
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

/** What systemd tells a service through its environment (sd_notify.ts, reload_status.ts). */
function systemdEnv(): SystemdEnv & { runtimeDir: string } {
  const env = (k: string) => Deno.env.get(k) ?? "";
  const watchdogPid = env("WATCHDOG_PID");
  const usec = /^\d+$/.test(env("WATCHDOG_USEC")) ? Number(env("WATCHDOG_USEC")) : 0;
  // RUNTIME_DIRECTORY may list several folders, separated by colons.
  const runtimeDir = env("RUNTIME_DIRECTORY").split(":")[0]!;
  return {
    notifySocket: env("NOTIFY_SOCKET"),
    watchdogUsec: watchdogPid === "" || watchdogPid === String(Deno.pid) ? usec : 0,
    socketDir: runtimeDir !== "" ? runtimeDir : "/tmp",
    runtimeDir,
  };
}

/** Read http.conf and the session key, as start-up and every reload do. */
function load(args: ReturnType<typeof parseCli>): Loaded {
  const { config, text } = loadConfig(args);
  return { config, text, session: loadSessionKey(config), warnings: ownFilesInRoot(config) };
}

/**
 * Run the command line `argv`.
 * @param workerUrl the worker entry (tests pass one that can be made to fail)
 * @returns the exit status
 */
export async function main(
  argv: string[],
  workerUrl = new URL("./lib/server/worker_main.ts", import.meta.url),
): Promise<number> {
  let args;
  try {
    args = parseCli(argv);
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
  if (args.waitReload !== undefined) {
    // ExecReload: the outcome of the reload the unit just asked for (reload_status.ts).
    const { runtimeDir } = systemdEnv();
    const r = await waitForReload({ dir: runtimeDir, sinceMs: args.waitReload, timeoutMs: 60_000 });
    (r.ok ? out : err)(`${SERVER_NAME}: ${r.message}`);
    return r.ok ? 0 : 1;
  }
  let loaded: Loaded;
  try {
    loaded = load(args);
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  for (const m of loaded.warnings) err(`${SERVER_NAME}: [warn] ${m}`);
  if (args.checkConfig) {
    return await checkConfig(loaded.config, loaded.text, { out, err }, SERVER_NAME);
  }
  const systemd = systemdEnv();
  try {
    return await runServer({
      initial: loaded,
      load: () => load(args),
      workerUrl,
      terminal: Deno.stdin.isTerminal(),
      systemd,
      runtimeDir: systemd.runtimeDir,
      out,
      err,
    });
  } catch (e) {
    err(`${SERVER_NAME}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
