/**
 * The table of `http.conf` keys: key name -> value parser -> Config fields (pure).
 *
 * Key names are case-sensitive. Each parser returns the Config fields it sets, or what was
 * expected, which `config.ts` turns into `file:line: Key: expected ..., got "..."`.
 *
 * @module
 */

import { resolve } from "node:path";
import { ACME_KEYS } from "./acme_keys.ts";
import type { Config, HostPort, LogLevel } from "./types.ts";
import {
  MIN_WORKER_HEARTBEAT_MS,
  PORT_RANGE,
  RANGES,
  REMOTE_PORT_RANGE,
  SECOND_MS,
  SESSION_KEY_LENGTH,
} from "./defaults.ts";
import {
  isFieldValue,
  isIpOrCidr,
  isToken,
  isUrlPath,
  parseAddress,
  parseBool,
  type Parsed,
  parseDigits,
  parseDuration,
  parseInteger,
  parseSize,
  splitList,
} from "./values.ts";

/** A Config whose fields can be assigned while it is being built. */
export type MutableConfig = { -readonly [K in keyof Config]: Config[K] };

/** What a key parser may depend on besides the value. */
export interface KeyContext {
  /** Absolute folder relative paths resolve against. */
  readonly baseDir: string;
  /** CPU count, for `Workers = auto`. */
  readonly cpus: number;
}

/** Parses one key's value into the Config fields it sets. */
export type KeyParser = (value: string, ctx: KeyContext) => Parsed<Partial<MutableConfig>>;

type FieldParser<T> = (value: string, ctx: KeyContext) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

function field<K extends keyof MutableConfig>(
  name: K,
  parse: FieldParser<MutableConfig[K]>,
): KeyParser {
  return (value, ctx) => {
    const r = parse(value, ctx);
    return r.ok ? ok({ [name]: r.value } as Partial<MutableConfig>) : r;
  };
}

/**
 * Parse a file path, resolved against the config folder.
 *
 * @param v the value text (non-empty)
 * @param ctx where relative paths start
 * @returns the absolute path, or what was expected
 */
export function parsePath(v: string, ctx: KeyContext): Parsed<string> {
  return v === "" || v.includes("\0") ? bad("a file path") : ok(resolve(ctx.baseDir, v));
}

const optionalPath: FieldParser<string> = (v, ctx) => {
  if (v === "") return ok("");
  const p = parsePath(v, ctx);
  return p.ok ? p : bad("a file path, or nothing");
};

const logPath: FieldParser<string> = (v, ctx) => {
  if (v.toLowerCase() === "off") return ok("");
  const p = parsePath(v, ctx);
  return p.ok ? p : bad("a file path or Off");
};

const LEVELS: Readonly<Record<string, LogLevel>> = {
  debug: "debug",
  info: "info",
  notice: "notice",
  warn: "warn",
  warning: "warn",
  error: "error",
  crit: "crit",
};

const logLevel: FieldParser<LogLevel> = (v) => {
  const level = Object.hasOwn(LEVELS, v.toLowerCase()) ? LEVELS[v.toLowerCase()] : undefined;
  return level === undefined ? bad("debug, info, notice, warn, error or crit") : ok(level);
};

const serverTokens: FieldParser<"full" | "prod"> = (v) => {
  const t = v.toLowerCase();
  return t === "full" || t === "prod" ? ok(t) : bad("Full or Prod");
};

/**
 * The worker count for `Workers = auto`: one per CPU, within the `Workers` range.
 *
 * @param cpus CPU count (e.g. `navigator.hardwareConcurrency`)
 * @returns an integer from 1 to 256
 */
export function autoWorkers(cpus: number): number {
  const n = Number.isFinite(cpus) ? Math.floor(cpus) : 1;
  return Math.min(RANGES.Workers.max, Math.max(RANGES.Workers.min, n));
}

const workers: FieldParser<number> = (v, ctx) => {
  if (v.toLowerCase() === "auto") return ok(autoWorkers(ctx.cpus));
  const n = parseDigits(v);
  if (n === null || n === 0) return bad(`a positive integer or "auto"`);
  return parseInteger(v, RANGES.Workers).ok
    ? ok(n)
    : bad(`an integer from ${RANGES.Workers.min} to ${RANGES.Workers.max} or "auto"`);
};

/** A duration kept in whole seconds, within a range given in seconds. */
const seconds = (r: { min: number; max: number }): FieldParser<number> => (v) => {
  const ms = parseDuration(v, { min: r.min * SECOND_MS, max: r.max * SECOND_MS });
  if (!ms.ok) return ms;
  return ms.value % SECOND_MS === 0 ? ok(ms.value / SECOND_MS) : bad("a whole number of seconds");
};

const sessionTtl: FieldParser<number> = seconds(RANGES.SessionTTL);

function listOf(check: (s: string) => boolean, expected: string): FieldParser<string[]> {
  return (v) => {
    const items = splitList(v);
    return items.every(check) ? ok(items) : bad(expected);
  };
}

const MEDIA_TYPE = /^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const compressionTypes: FieldParser<string[]> = (v) => {
  const items = splitList(v.toLowerCase());
  return items.every((t) => MEDIA_TYPE.test(t))
    ? ok(items)
    : bad(`media types like "text/html", separated by spaces or commas`);
};

const memcached: FieldParser<HostPort[]> = (v) => {
  const out: HostPort[] = [];
  for (const item of splitList(v)) {
    const a = parseAddress(item, { ports: REMOTE_PORT_RANGE });
    if (!a.ok) return bad(`servers as host:port, separated by spaces or commas`);
    out.push(a.value);
  }
  return ok(out);
};

const sessionKey: FieldParser<string> = (v) => {
  const { min, max } = SESSION_KEY_LENGTH;
  return v === "" || (v.length >= min && v.length <= max)
    ? ok(v)
    : bad(`a secret of ${min} to ${max} characters`);
};

const sessionSecure: FieldParser<boolean | null> = (v) => {
  if (v.toLowerCase() === "auto") return ok(null);
  const b = parseBool(v);
  return b.ok ? b : bad("On, Off or auto (Secure when TLSListen is set)");
};

const tlsListen: FieldParser<HostPort | null> = (v) => {
  if (v === "" || v.toLowerCase() === "off") return ok(null);
  const a = parseAddress(v, { ports: PORT_RANGE, anyHost: "0.0.0.0" });
  return a.ok ? a : bad(`${a.expected}, or Off`);
};

/** RFC 6797 §6.1: directives separated by ";", max-age required. */
const hsts: FieldParser<string> = (v) => {
  if (v === "" || v.toLowerCase() === "off") return ok("");
  const maxAge = /(^|;)\s*max-age\s*=\s*("[0-9]+"|[0-9]+)\s*(;|$)/i;
  return isFieldValue(v) && maxAge.test(v)
    ? ok(v)
    : bad(`a Strict-Transport-Security value with max-age, e.g. "max-age=31536000", or Off`);
};

const urlPath: FieldParser<string> = (v) =>
  isUrlPath(v) ? ok(v) : bad(`a URL path starting with "/"`);
const token: FieldParser<string> = (v) => (isToken(v) ? ok(v) : bad("a cookie name (a token)"));
const bool: FieldParser<boolean> = (v) => parseBool(v);
const int = (r: { min: number; max: number }): FieldParser<number> => (v) => parseInteger(v, r);
const size = (r: { min: number; max: number }): FieldParser<number> => (v) => parseSize(v, r);
const duration = (r: { min: number; max: number }): FieldParser<number> => (v) =>
  parseDuration(v, r);
/** 0 (off), or long enough for a busy but healthy worker to answer. */
const heartbeat: FieldParser<number> = (v) => {
  const r = parseDuration(v, RANGES.WorkerHeartbeat);
  return r.ok && r.value !== 0 && r.value < MIN_WORKER_HEARTBEAT_MS
    ? bad(`0 (off) or a duration of at least ${MIN_WORKER_HEARTBEAT_MS}ms`)
    : r;
};
const PATH_LIST = `URL paths starting with "/", separated by spaces or commas`;

const cookieScope: FieldParser<"html" | "all" | readonly string[]> = (v) => {
  const t = v.toLowerCase();
  if (t === "html" || t === "all") return ok(t);
  const items = splitList(v);
  return items.length > 0 && items.every(isUrlPath)
    ? ok(items)
    : bad(`html, all, or URL path prefixes starting with "/"`);
};

const forwardedHeader: FieldParser<"x-forwarded-for" | "forwarded" | "off"> = (v) => {
  const t = v.toLowerCase();
  return t === "x-forwarded-for" || t === "forwarded" || t === "off"
    ? ok(t)
    : bad("X-Forwarded-For, Forwarded or Off");
};

/** Every top-level `http.conf` key, by its case-sensitive name. */
export const MAIN_KEYS: Readonly<Record<string, KeyParser>> = {
  Listen: field("listen", (v) => parseAddress(v, { ports: PORT_RANGE, anyHost: "0.0.0.0" })),
  DocumentRoot: field("documentRoot", parsePath),
  ErrorPages: field("errorPages", parsePath),
  AccessLog: field("accessLog", logPath),
  ErrorLog: field("errorLog", logPath),
  LogLevel: field("logLevel", logLevel),
  LogNotFound: field("logNotFound", bool),
  AccessLogFlush: field("accessLogFlushMs", duration(RANGES.AccessLogFlush)),
  ServerTokens: field("serverTokens", serverTokens),
  Workers: field("workers", workers),
  MaxSimultaneousConnections: field(
    "maxSimultaneousConnections",
    int(RANGES.MaxSimultaneousConnections),
  ),
  HeaderTimeout: field("headerTimeoutMs", duration(RANGES.HeaderTimeout)),
  KeepAliveTimeout: field("idleTimeoutMs", duration(RANGES.KeepAliveTimeout)),
  RequestTimeout: field("requestTimeoutMs", duration(RANGES.RequestTimeout)),
  SendTimeout: field("sendTimeoutMs", duration(RANGES.SendTimeout)),
  ShutdownGrace: field("shutdownGraceMs", duration(RANGES.ShutdownGrace)),
  WorkerHeartbeat: field("workerHeartbeatMs", heartbeat),
  MaxRequestLine: field("maxRequestLine", size(RANGES.MaxRequestLine)),
  MaxHeaderBytes: field("maxHeaderBytes", size(RANGES.MaxHeaderBytes)),
  MaxHeaderCount: field("maxHeaderCount", int(RANGES.MaxHeaderCount)),
  MaxBodySize: field("maxBodySize", size(RANGES.MaxBodySize)),
  MaxChunkExtension: field("maxChunkExtension", size(RANGES.MaxChunkExtension)),
  MaxKeepAliveRequests: field("maxRequestsPerConnection", int(RANGES.MaxKeepAliveRequests)),
  MaxRanges: field("maxRanges", int(RANGES.MaxRanges)),
  ReadChunkSize: field("readChunkSize", size(RANGES.ReadChunkSize)),
  DirectoryListing: field("directoryListing", bool),
  ContentDigest: field("contentDigest", bool),
  ContentDigestMaxSize: field("contentDigestMax", size(RANGES.ContentDigestMaxSize)),
  WriteAccess: field("writeAccess", bool),
  PasswordFile: field("passwordFile", optionalPath),
  WritePaths: field("writePaths", listOf(isUrlPath, PATH_LIST)),
  UploadPaths: field("uploadPaths", listOf(isUrlPath, PATH_LIST)),
  Compression: field("compression", bool),
  CompressionMinSize: field("compressionMinSize", size(RANGES.CompressionMinSize)),
  CompressionTypes: field("compressionTypes", compressionTypes),
  Sessions: field("sessions", bool),
  SessionCookie: field("sessionCookie", token),
  SessionTTL: field("sessionTtlS", sessionTtl),
  SessionKey: field("sessionKey", sessionKey),
  SessionKeyFile: field("sessionKeyFile", optionalPath),
  SessionSecure: field("sessionSecure", sessionSecure),
  Memcached: field("memcached", memcached),
  MemcachedTimeout: field("memcachedTimeoutMs", duration(RANGES.MemcachedTimeout)),
  ServerStatus: field("statusEnabled", bool),
  ServerStatusPath: field("statusPath", urlPath),
  ServerStatusAllow: field(
    "statusAllow",
    listOf(isIpOrCidr, "IP addresses or CIDR blocks, separated by spaces or commas"),
  ),
  FileCacheSize: field("fileCacheBytes", size(RANGES.FileCacheSize)),
  FileCacheMaxFileSize: field("fileCacheMaxFile", size(RANGES.FileCacheMaxFileSize)),
  FileCacheRevalidate: field("fileCacheRevalidateMs", duration(RANGES.FileCacheRevalidate)),
  MaxConnectionsPerClient: field("maxConnectionsPerClient", int(RANGES.MaxConnectionsPerClient)),
  AuthAttemptsPerSecond: field("authAttemptsPerSecond", int(RANGES.AuthAttemptsPerSecond)),
  AuthFailureMemory: field("authFailureMemoryMs", duration(RANGES.AuthFailureMemory)),
  MaxPasswordChecks: field("maxPasswordChecks", int(RANGES.MaxPasswordChecks)),
  CounterTTL: field("counterTtlS", seconds(RANGES.CounterTTL)),
  MaxCounterNames: field("maxCounterNames", int(RANGES.MaxCounterNames)),
  // Who gets a session cookie, and the client address behind a load balancer.
  SessionCookieScope: field("sessionCookieScope", cookieScope),
  ProxyProtocol: field("proxyProtocol", bool),
  TrustedProxies: field(
    "trustedProxies",
    listOf(isIpOrCidr, "IP addresses or CIDR blocks, separated by spaces or commas"),
  ),
  ForwardedHeader: field("forwardedHeader", forwardedHeader),
  TLSListen: field("tlsListen", tlsListen),
  TLSCertificate: field("tlsCertificate", optionalPath),
  TLSKey: field("tlsKey", optionalPath),
  TLSReloadInterval: field("tlsReloadIntervalMs", duration(RANGES.TLSReloadInterval)),
  TLSWaitForCertificate: field("tlsWaitForCertificate", bool),
  RedirectToHTTPS: field("redirectToHttps", bool),
  HSTS: field("hsts", hsts),
  ...ACME_KEYS,
};

/**
 * Parse an `[ErrorDocument]` key: a three-digit status code from 300 to 599.
 *
 * @param key the key text
 * @returns the status, or `null`
 */
export function parseStatusKey(key: string): number | null {
  const n = key.length === 3 ? parseDigits(key) : null;
  return n !== null && n >= 300 && n <= 599 ? n : null;
}

/**
 * Check a `[CacheControl]` pattern: `*.ext` (matched against the extension), `*`, or a
 * URL-path glob starting with `/` (with `*` wildcards).
 *
 * @param pattern the key text
 * @returns whether the pattern is usable
 */
export function isCachePattern(pattern: string): boolean {
  return /^(\*\.[\x21-\x7e]+|\/[\x21-\x7e]*|\*)$/.test(pattern);
}
