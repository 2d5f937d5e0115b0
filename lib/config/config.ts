/**
 * `http.conf` text -> a frozen, validated {@linkcode Config} (pure: no `Deno.*`, no fs).
 *
 * Every key is checked for syntax and range and named in the error together with its line;
 * unknown keys and sections, duplicate keys and contradicting keys are errors too (fail fast
 * at start-up, like Node's `storeHTTPOptions`).
 *
 * @module
 */

import { basename, isAbsolute, resolve } from "node:path";
import { acmeCertificateFiles, acmeConflict } from "./acme_keys.ts";
import * as D from "./defaults.ts";
import { type IniEntry, quote, scanIni } from "./ini.ts";
import { isFieldValue, type Parsed } from "./values.ts";
import {
  autoWorkers,
  isCachePattern,
  type KeyContext,
  MAIN_KEYS,
  type MutableConfig,
  parsePath,
  parseStatusKey,
} from "./keys.ts";

export type { CacheRule, Config, HostPort, LogLevel } from "./types.ts";
import type { Config, HostPort } from "./types.ts";

/**
 * A configuration error, located by file, line and key when they are known.
 *
 * @example
 * ```ts
 * // message: 'http.conf:12: Workers: expected a positive integer or "auto", got "abc"'
 * ```
 */
export class ConfigError extends Error {
  /** The `http.conf` key at fault, or `null` for a syntax error. */
  readonly key: string | null;
  /** 1-based line, or `null` when the error is not tied to one line. */
  readonly line: number | null;
  /** The config file path, or `null` for text without a file. */
  readonly file: string | null;

  /**
   * @param detail what is wrong, without location
   * @param where file, line and key (each may be `null`)
   */
  constructor(
    detail: string,
    where: { file: string | null; line: number | null; key: string | null },
  ) {
    const at = `${where.file === null ? "config" : basename(where.file)}${
      where.line === null ? "" : `:${where.line}`
    }`;
    super(`${at}: ${where.key === null ? "" : `${where.key}: `}${detail}`);
    this.name = "ConfigError";
    this.key = where.key;
    this.line = where.line;
    this.file = where.file;
  }
}

/**
 * The 1-based line of a top-level key in http.conf text, for messages about a value that
 * parsed but cannot be used (a folder missing, a log that cannot be opened).
 *
 * @param text the http.conf text
 * @param key the key name
 * @returns the line of its first assignment, or `null`
 */
export function lineOf(text: string, key: string): number | null {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  return i < 0 ? null : i + 1;
}

/** Options of {@linkcode parseConfig}. */
export interface ParseOptions {
  /** Absolute path of the file the text came from, or `null`. */
  readonly file: string | null;
  /** Absolute folder that relative paths resolve against. */
  readonly baseDir: string;
  /** CPU count, used for `Workers = auto`. */
  readonly cpus: number;
}

export { autoWorkers };

const SECTIONS = ["ErrorDocument", "CacheControl"] as const;

/**
 * Parse and validate `http.conf` text.
 *
 * @param text the file content
 * @param opts file name for messages, folder for relative paths, CPU count for `auto`
 * @returns a deep-frozen Config
 * @throws {ConfigError} on any syntax, key, value or consistency error
 * @throws {TypeError} if `opts.baseDir` is not absolute (a caller bug)
 * @example
 * ```ts
 * const c = parseConfig("Listen = 127.0.0.1:0\n", { file: null, baseDir: "/srv", cpus: 2 });
 * // c.listen -> { host: "127.0.0.1", port: 0 }; c.documentRoot -> "/srv/www/html"
 * ```
 */
export function parseConfig(text: string, opts: ParseOptions): Config {
  const fail = (detail: string, line: number | null, key: string | null): never => {
    throw new ConfigError(detail, { file: opts.file, line, key });
  };
  if (!isAbsolute(opts.baseDir)) {
    // node:path would fall back to the process cwd, which a pure module must not read.
    throw new TypeError(`Cannot parse config: baseDir ${quote(opts.baseDir)} is not absolute`);
  }
  const doc = scanIni(text);
  if (!doc.ok) return fail(doc.message, doc.line, null);
  const seen = new Map<string, number>();
  for (const s of doc.sections) {
    if (!(SECTIONS as readonly string[]).includes(s.name)) {
      fail(`unknown section [${s.name}] (known: [${SECTIONS.join("], [")}])`, s.line, null);
    }
    const first = seen.get(`[${s.name}]`);
    if (first !== undefined) fail(`duplicate section (first on line ${first})`, s.line, null);
    seen.set(`[${s.name}]`, s.line);
  }
  const draft = defaultDraft(opts);
  const lines = new Map<string, number>();
  for (const e of doc.entries) {
    const id = `${e.section ?? ""}\n${e.key}`;
    const first = lines.get(id);
    if (first !== undefined) fail(`duplicate key (first set on line ${first})`, e.line, e.key);
    lines.set(id, e.line);
    const detail = applyEntry(draft, e, opts);
    if (detail !== null) fail(detail, e.line, e.key);
  }
  const acmeProblem = acmeConflict(draft);
  if (acmeProblem === null && draft.acme) {
    // HTTPS serves what ACME keeps in ACMEStorage.
    const files = acmeCertificateFiles(draft.acmeStorage);
    draft.tlsCertificate = files.certificate;
    draft.tlsKey = files.key;
  }
  const problem = acmeProblem ?? crossCheck(draft);
  if (problem !== null) {
    const key = problem.keys.find((k) => lines.has(`\n${k}`)) ?? problem.keys[0];
    fail(problem.detail, lines.get(`\n${key}`) ?? null, key);
  }
  return deepFreeze(draft);
}

/** Apply one entry to the draft; returns what is wrong with it, or `null`. */
function applyEntry(draft: MutableConfig, e: IniEntry, opts: ParseOptions): string | null {
  const ctx: KeyContext = { baseDir: opts.baseDir, cpus: opts.cpus };
  const got = `got ${quote(e.value)}`;
  if (e.section === "ErrorDocument") {
    const status = parseStatusKey(e.key);
    if (status === null) return `expected a status code from 300 to 599 as the key`;
    const path = parsePath(e.value, ctx);
    if (!path.ok) return `expected ${path.expected}, ${got}`;
    draft.errorDocuments = { ...draft.errorDocuments, [String(status)]: path.value };
    return null;
  }
  if (e.section === "CacheControl") {
    if (!isCachePattern(e.key)) return `expected a pattern like "*.css" or "/assets/*" as the key`;
    if (!isFieldValue(e.value)) return `expected a Cache-Control header value, ${got}`;
    draft.cacheControl = [...draft.cacheControl, { pattern: e.key, value: e.value }];
    return null;
  }
  const setter = Object.hasOwn(MAIN_KEYS, e.key) ? MAIN_KEYS[e.key] : undefined;
  if (setter === undefined) return unknownKey(e.key);
  const r: Parsed<Partial<MutableConfig>> = setter(e.value, ctx);
  if (!r.ok) return `expected ${r.expected}, ${got}`;
  Object.assign(draft, r.value);
  return null;
}

function unknownKey(key: string): string {
  const near = Object.keys(MAIN_KEYS).find((k) => k.toLowerCase() === key.toLowerCase());
  return near === undefined
    ? "unknown key (see the bundled http.conf for every key)"
    : `unknown key (keys are case-sensitive: did you mean ${near}?)`;
}

/** A broken cross-check: what is wrong, and the keys involved (most likely culprit first). */
interface Conflict {
  readonly keys: readonly [string, ...string[]];
  readonly detail: string;
}

/** Settings that only make sense together (Node `storeHTTPOptions`-style cross-checks). */
function crossCheck(c: MutableConfig): Conflict | null {
  if (c.writeAccess && c.passwordFile === "") {
    return { keys: ["WriteAccess"], detail: "WriteAccess On requires PasswordFile" };
  }
  if (c.sessionKey !== "" && c.sessionKeyFile !== "") {
    return {
      keys: ["SessionKeyFile", "SessionKey"],
      detail: "set SessionKey or SessionKeyFile, not both",
    };
  }
  if (c.maxRequestLine > c.maxHeaderBytes) {
    return {
      keys: ["MaxRequestLine", "MaxHeaderBytes"],
      detail:
        `MaxRequestLine (${c.maxRequestLine}) must not exceed MaxHeaderBytes (${c.maxHeaderBytes})`,
    };
  }
  if (c.headerTimeoutMs > c.requestTimeoutMs) {
    return {
      keys: ["HeaderTimeout", "RequestTimeout"],
      detail:
        `HeaderTimeout (${c.headerTimeoutMs}ms) must not exceed RequestTimeout (${c.requestTimeoutMs}ms)`,
    };
  }
  const tls = tlsConflict(c);
  if (tls !== null) return tls;
  if (c.fileCacheBytes > 0 && c.fileCacheMaxFile > c.fileCacheBytes) {
    return {
      keys: ["FileCacheMaxFileSize", "FileCacheSize"],
      detail:
        `FileCacheMaxFileSize (${c.fileCacheMaxFile}) must not exceed FileCacheSize (${c.fileCacheBytes})`,
    };
  }
  return null;
}

/** The HTTPS keys that only make sense together. */
function tlsConflict(c: Config): Conflict | null {
  if (c.tlsListen === null) {
    if (c.redirectToHttps) {
      return {
        keys: ["RedirectToHTTPS", "TLSListen"],
        detail: "RedirectToHTTPS On requires TLSListen",
      };
    }
    if (c.hsts !== "") return { keys: ["HSTS", "TLSListen"], detail: "HSTS requires TLSListen" };
    return null;
  }
  if (c.tlsCertificate === "" || c.tlsKey === "") {
    return {
      keys: [c.tlsCertificate === "" ? "TLSCertificate" : "TLSKey", "TLSListen"],
      detail: "TLSListen requires TLSCertificate and TLSKey",
    };
  }
  if (sameAddress(c.tlsListen, c.listen)) {
    return { keys: ["TLSListen", "Listen"], detail: "TLSListen must differ from Listen" };
  }
  return null;
}

/** Two addresses on the same port that would collide (port 0 picks two free ports). */
function sameAddress(a: HostPort, b: HostPort): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const any = (h: string) => h === "0.0.0.0" || h === "::";
  return a.host === b.host || any(a.host) || any(b.host);
}

/**
 * Whether the session cookie carries `Secure`: as SessionSecure says, or with `auto` (the
 * default) exactly when TLS is on, so a cookie sent over HTTPS never goes back over plain HTTP.
 */
export function sessionCookieSecure(c: Config): boolean {
  return c.sessionSecure ?? c.tlsListen !== null;
}

function defaultDraft(opts: ParseOptions): MutableConfig {
  const at = (p: string) => resolve(opts.baseDir, p);
  return {
    file: opts.file,
    baseDir: opts.baseDir,
    listen: { host: D.DEFAULT_LISTEN_HOST, port: D.DEFAULT_LISTEN_PORT },
    documentRoot: at(D.DEFAULT_DOCUMENT_ROOT),
    errorPages: at(D.DEFAULT_ERROR_PAGES),
    errorDocuments: {},
    accessLog: at(D.DEFAULT_ACCESS_LOG),
    errorLog: at(D.DEFAULT_ERROR_LOG),
    logLevel: D.DEFAULT_LOG_LEVEL,
    logNotFound: D.DEFAULT_LOG_NOT_FOUND,
    accessLogFlushMs: D.DEFAULT_ACCESS_LOG_FLUSH_MS,
    serverTokens: D.DEFAULT_SERVER_TOKENS,
    workers: autoWorkers(opts.cpus),
    maxSimultaneousConnections: D.DEFAULT_MAX_SIMULTANEOUS_CONNECTIONS,
    headerTimeoutMs: D.DEFAULT_HEADER_TIMEOUT_MS,
    idleTimeoutMs: D.DEFAULT_IDLE_TIMEOUT_MS,
    requestTimeoutMs: D.DEFAULT_REQUEST_TIMEOUT_MS,
    sendTimeoutMs: D.DEFAULT_SEND_TIMEOUT_MS,
    shutdownGraceMs: D.DEFAULT_SHUTDOWN_GRACE_MS,
    workerHeartbeatMs: D.DEFAULT_WORKER_HEARTBEAT_MS,
    maxRequestLine: D.DEFAULT_MAX_REQUEST_LINE,
    maxHeaderBytes: D.DEFAULT_MAX_HEADER_BYTES,
    maxHeaderCount: D.DEFAULT_MAX_HEADER_COUNT,
    maxBodySize: D.DEFAULT_MAX_BODY_SIZE,
    maxChunkExtension: D.DEFAULT_MAX_CHUNK_EXTENSION,
    maxRequestsPerConnection: D.DEFAULT_MAX_REQUESTS_PER_CONNECTION,
    maxRanges: D.DEFAULT_MAX_RANGES,
    readChunkSize: D.DEFAULT_READ_CHUNK_SIZE,
    directoryListing: D.DEFAULT_DIRECTORY_LISTING,
    contentDigest: D.DEFAULT_CONTENT_DIGEST,
    contentDigestMax: D.DEFAULT_CONTENT_DIGEST_MAX,
    writeAccess: D.DEFAULT_WRITE_ACCESS,
    passwordFile: D.DEFAULT_PASSWORD_FILE,
    writePaths: [...D.DEFAULT_WRITE_PATHS],
    uploadPaths: [...D.DEFAULT_UPLOAD_PATHS],
    compression: D.DEFAULT_COMPRESSION,
    compressionMinSize: D.DEFAULT_COMPRESSION_MIN_SIZE,
    compressionTypes: [...D.DEFAULT_COMPRESSION_TYPES],
    cacheControl: [],
    sessions: D.DEFAULT_SESSIONS,
    sessionCookie: D.DEFAULT_SESSION_COOKIE,
    sessionTtlS: D.DEFAULT_SESSION_TTL_S,
    sessionKey: D.DEFAULT_SESSION_KEY,
    sessionKeyFile: D.DEFAULT_SESSION_KEY_FILE,
    sessionSecure: D.DEFAULT_SESSION_SECURE,
    memcached: D.DEFAULT_MEMCACHED.map((a) => ({ host: a.host, port: a.port })),
    memcachedTimeoutMs: D.DEFAULT_MEMCACHED_TIMEOUT_MS,
    statusEnabled: D.DEFAULT_STATUS_ENABLED,
    statusPath: D.DEFAULT_STATUS_PATH,
    statusAllow: [...D.DEFAULT_STATUS_ALLOW],
    fileCacheBytes: D.DEFAULT_FILE_CACHE_BYTES,
    fileCacheMaxFile: D.DEFAULT_FILE_CACHE_MAX_FILE,
    fileCacheRevalidateMs: D.DEFAULT_FILE_CACHE_REVALIDATE_MS,
    maxConnectionsPerClient: D.DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    authAttemptsPerSecond: D.DEFAULT_AUTH_ATTEMPTS_PER_SECOND,
    authFailureMemoryMs: D.DEFAULT_AUTH_FAILURE_MEMORY_MS,
    maxPasswordChecks: D.DEFAULT_MAX_PASSWORD_CHECKS,
    counterTtlS: D.DEFAULT_COUNTER_TTL_S,
    maxCounterNames: D.DEFAULT_MAX_COUNTER_NAMES,
    sessionCookieScope: D.DEFAULT_SESSION_COOKIE_SCOPE,
    proxyProtocol: D.DEFAULT_PROXY_PROTOCOL,
    trustedProxies: [...D.DEFAULT_TRUSTED_PROXIES],
    forwardedHeader: D.DEFAULT_FORWARDED_HEADER,
    tlsListen: D.DEFAULT_TLS_LISTEN,
    tlsCertificate: D.DEFAULT_TLS_FILE,
    tlsKey: D.DEFAULT_TLS_FILE,
    tlsReloadIntervalMs: D.DEFAULT_TLS_RELOAD_INTERVAL_MS,
    tlsWaitForCertificate: D.DEFAULT_TLS_WAIT_FOR_CERTIFICATE,
    redirectToHttps: D.DEFAULT_REDIRECT_TO_HTTPS,
    hsts: D.DEFAULT_HSTS,
    acme: D.DEFAULT_ACME,
    acmeDomains: [...D.DEFAULT_ACME_DOMAINS],
    acmeEmail: D.DEFAULT_ACME_EMAIL,
    acmeDirectory: D.DEFAULT_ACME_DIRECTORY,
    acmeCa: D.DEFAULT_ACME_CA,
    acmeStorage: at(D.DEFAULT_ACME_STORAGE),
    acmeRetryMs: D.DEFAULT_ACME_RETRY_MS,
    acmeRetryMaxMs: D.DEFAULT_ACME_RETRY_MAX_MS,
    acmeTimeoutMs: D.DEFAULT_ACME_TIMEOUT_MS,
  };
}

/**
 * The configuration of an empty `http.conf`: every default, paths under `baseDir`.
 *
 * @param baseDir absolute folder that relative paths resolve against
 * @param cpus CPU count, for `Workers = auto`
 * @returns a deep-frozen Config with `file: null`
 */
export function defaultConfig(baseDir: string, cpus: number): Config {
  return parseConfig("", { file: null, baseDir, cpus });
}

/** Command-line overrides for {@linkcode withOverrides}; `undefined` means "keep". */
export interface ConfigOverrides {
  /** Listen port (0..65535); the host is kept. */
  readonly port?: number | undefined;
  /** Document root; a relative path resolves against `cwd`. */
  readonly root?: string | undefined;
  /** Worker count (1..256). */
  readonly workers?: number | undefined;
  /** HTTPS port (0..65535); the host of TLSListen (or of Listen when TLSListen is off) is kept. */
  readonly tlsPort?: number | undefined;
  /** Absolute folder a relative `root` resolves against; default `config.baseDir`. */
  readonly cwd?: string | undefined;
}

/**
 * Apply command-line overrides to a config.
 *
 * @param config the parsed config
 * @param o the overrides
 * @returns a new deep-frozen Config
 * @throws {RangeError} for a port or worker count out of range, or an empty root
 * @throws {TypeError} if `o.cwd` is given and not absolute
 */
export function withOverrides(config: Config, o: ConfigOverrides): Config {
  const next: MutableConfig = structuredClone(config) as MutableConfig;
  if (o.port !== undefined) {
    const { min, max } = D.PORT_RANGE;
    if (!Number.isInteger(o.port) || o.port < min || o.port > max) {
      throw new RangeError(`Cannot use port ${o.port}: expected an integer from ${min} to ${max}`);
    }
    next.listen = { host: config.listen.host, port: o.port };
  }
  if (o.tlsPort !== undefined) {
    const { min, max } = D.PORT_RANGE;
    if (!Number.isInteger(o.tlsPort) || o.tlsPort < min || o.tlsPort > max) {
      throw new RangeError(
        `Cannot use TLS port ${o.tlsPort}: expected an integer from ${min} to ${max}`,
      );
    }
    if (config.tlsCertificate === "" || config.tlsKey === "") {
      throw new RangeError(
        "Cannot use --tls-port: the configuration sets no TLSCertificate and TLSKey",
      );
    }
    next.tlsListen = { host: (config.tlsListen ?? next.listen).host, port: o.tlsPort };
    if (sameAddress(next.tlsListen, next.listen)) {
      throw new RangeError(`Cannot use TLS port ${o.tlsPort}: Listen uses it`);
    }
  }
  if (o.workers !== undefined) {
    const { min, max } = D.RANGES.Workers;
    if (!Number.isInteger(o.workers) || o.workers < min || o.workers > max) {
      throw new RangeError(
        `Cannot use ${o.workers} workers: expected an integer from ${min} to ${max}`,
      );
    }
    next.workers = o.workers;
  }
  if (o.root !== undefined) {
    if (o.root === "" || o.root.includes("\0")) {
      throw new RangeError(`Cannot use document root ${quote(o.root)}`);
    }
    const from = o.cwd ?? config.baseDir;
    if (!isAbsolute(from)) {
      throw new TypeError(`Cannot resolve root: cwd ${quote(from)} is not absolute`);
    }
    next.documentRoot = resolve(from, o.root);
  }
  return deepFreeze(next);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
