/**
 * Command-line arguments -> {@linkcode CliOptions} (pure; strict: unknown flags are errors).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { PORT_RANGE, RANGES, SERVER_NAME } from "./defaults.ts";
import { parseDigits } from "./values.ts";

/** What the command line asked for. Absent fields were not given. */
export interface CliOptions {
  /** `--config FILE`: the http.conf to read. */
  config?: string;
  /** `--port N`: overrides the Listen port. */
  port?: number;
  /** `--root DIR`: overrides DocumentRoot (relative to the current directory). */
  root?: string;
  /** `--workers N`: overrides Workers. */
  workers?: number;
  /** `--tls-port N`: overrides the TLSListen port (HTTPS on the Listen host when TLSListen is off). */
  tlsPort?: number;
  /** `--check-config` / `-t`: validate http.conf and exit. */
  checkConfig: boolean;
  /** `--help` / `-h`. */
  help: boolean;
  /** `--version` / `-V`. */
  version: boolean;
  /** `--hash-password USER`: print a PasswordFile line for USER and exit. */
  hashPassword?: string;
  /** `--wait-reload TIME`: wait for the outcome of a reload asked for at TIME (epoch ms). */
  waitReload?: number;
}

/** Usage text listing every flag. */
export const HELP_TEXT = `Usage: ${SERVER_NAME} [options]

A static-file HTTP/1.1 server. Settings come from http.conf; flags override a few of them.

Options:
  -c, --config FILE          read this http.conf (default: http.conf beside the program)
  -p, --port N               listen on port N (0-65535; 0 picks a free port), keeping the host
      --tls-port N           serve HTTPS on port N (0 picks a free port); needs TLSCertificate
                             and TLSKey in http.conf; keeps the host of TLSListen (or Listen)
  -r, --root DIR             serve files from DIR instead of DocumentRoot
  -w, --workers N            run N worker threads (1-256) instead of Workers
  -t, --check-config         check http.conf, print the result and exit (0 = valid)
      --hash-password USER   read a password from standard input, print a PasswordFile line
      --wait-reload TIME     wait for the outcome of a reload asked for at TIME (ms since
                             1970) and exit with it (systemd's ExecReload, after SIGHUP)
  -h, --help                 show this help and exit
  -V, --version              print the version and exit
`;

/** Times `--wait-reload` accepts, in ms since 1970 (`date +%s%3N`). */
const EPOCH_MS_RANGE = { min: 0, max: Number.MAX_SAFE_INTEGER };

const OPTIONS = {
  config: { type: "string", short: "c" },
  port: { type: "string", short: "p" },
  "tls-port": { type: "string" },
  root: { type: "string", short: "r" },
  workers: { type: "string", short: "w" },
  "check-config": { type: "boolean", short: "t" },
  "hash-password": { type: "string" },
  "wait-reload": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/**
 * Parse command-line arguments.
 *
 * @param args the arguments after the program name (`Deno.args`)
 * @returns the options given
 * @throws {TypeError} for an unknown flag, a missing or malformed value, or a positional argument
 * @throws {RangeError} for a port or worker count out of range
 * @example
 * ```ts
 * parseCli(["--port", "8081", "-t"]); // { port: 8081, checkConfig: true, help: false, version: false }
 * ```
 */
export function parseCli(args: string[]): CliOptions {
  let values;
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new TypeError(`Cannot parse the command line: ${why}; see --help`);
  }
  const out: CliOptions = {
    checkConfig: values["check-config"] ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
  if (values.config !== undefined) out.config = nonEmpty("--config", values.config);
  if (values.root !== undefined) out.root = nonEmpty("--root", values.root);
  if (values.port !== undefined) out.port = integer("--port", values.port, PORT_RANGE);
  if (values["tls-port"] !== undefined) {
    out.tlsPort = integer("--tls-port", values["tls-port"], PORT_RANGE);
  }
  if (values.workers !== undefined) {
    out.workers = integer("--workers", values.workers, RANGES.Workers);
  }
  if (values["wait-reload"] !== undefined) {
    out.waitReload = integer("--wait-reload", values["wait-reload"], EPOCH_MS_RANGE);
  }
  if (values["hash-password"] !== undefined) {
    out.hashPassword = userName(values["hash-password"]);
  }
  return out;
}

function nonEmpty(flag: string, v: string): string {
  if (v === "" || v.includes("\0")) throw new TypeError(`Cannot use ${flag} ${JSON.stringify(v)}`);
  return v;
}

function integer(flag: string, v: string, r: { min: number; max: number }): number {
  if (!/^[0-9]+$/.test(v)) {
    throw new TypeError(`Cannot use ${flag} ${JSON.stringify(v)}: expected digits only`);
  }
  const n = parseDigits(v); // null on overflow
  if (n === null || n < r.min || n > r.max) {
    throw new RangeError(`Cannot use ${flag} ${v}: expected ${r.min} to ${r.max}`);
  }
  return n;
}

function userName(v: string): string {
  // The PasswordFile line is `user:hash`, so a user may not hold ':' or whitespace.
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(v)) {
    throw new TypeError(
      `Cannot use --hash-password ${JSON.stringify(v)}: expected a user name without ":" or spaces`,
    );
  }
  return v;
}
