/**
 * Every default value and every valid range of an `http.conf` key, as named constants.
 *
 * No other module may hold a literal limit: they receive a `Config` built from these values
 * (STYLE.md rule 4). Durations are in milliseconds unless the name ends in `_S` (seconds);
 * sizes are in bytes. Relative paths are resolved against the config file's folder.
 *
 * @module
 */

/** Product name used in the `Server` header (`ServerTokens Prod`). */
export const SERVER_NAME = "httpserver";
/** Product version used in the `Server` header (`ServerTokens Full`); must match deno.json. */
export const SERVER_VERSION = "0.1.0";

/** Bytes in one `k` of a size value (`16k`). */
export const KIB = 1024;
/** Bytes in one `m` of a size value (`100m`). */
export const MIB = 1024 * KIB;
/** Bytes in one `g` of a size value (`1g`). */
export const GIB = 1024 * MIB;
/** Milliseconds in one second. */
export const SECOND_MS = 1000;
/** Milliseconds in one minute. */
export const MINUTE_MS = 60 * SECOND_MS;
/** Milliseconds in one hour. */
export const HOUR_MS = 60 * MINUTE_MS;

/** An inclusive range of valid values for a numeric key. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

// Listen, paths and logs.
/** `Listen` host when none is given. */
export const DEFAULT_LISTEN_HOST = "0.0.0.0";
/** `Listen` port when none is given. */
export const DEFAULT_LISTEN_PORT = 8080;
/** `DocumentRoot`, relative to the config folder. */
export const DEFAULT_DOCUMENT_ROOT = "www/html";
/** `ErrorPages` folder holding `<status>.html`, relative to the config folder. */
export const DEFAULT_ERROR_PAGES = "error";
/** `AccessLog`, relative to the config folder (`Off` disables it). */
export const DEFAULT_ACCESS_LOG = "logs/access.log";
/** `ErrorLog`, relative to the config folder (`Off` disables it). */
export const DEFAULT_ERROR_LOG = "logs/error.log";
/** `LogLevel`. */
export const DEFAULT_LOG_LEVEL = "info";
/** `LogNotFound`: 404s get an error-log line (nginx `log_not_found`). */
export const DEFAULT_LOG_NOT_FOUND = true;
/**
 * `AccessLogFlush`: how long a worker keeps access lines before handing them to be written; a
 * `kill -9` loses at most the lines of this last stretch. 0: each line is written before its
 * response's last byte is sent.
 */
export const DEFAULT_ACCESS_LOG_FLUSH_MS = 100;
/** `ServerTokens`. */
export const DEFAULT_SERVER_TOKENS = "prod";

// Workers and connections.
/** `Workers` (`auto` = one per CPU). */
export const DEFAULT_WORKERS = "auto";
/** `MaxSimultaneousConnections`, per server instance. */
export const DEFAULT_MAX_SIMULTANEOUS_CONNECTIONS = 20000;

// Timeouts (milliseconds).
/** `HeaderTimeout`: time to receive a whole request head (-> 408). */
export const DEFAULT_HEADER_TIMEOUT_MS = 10 * SECOND_MS;
/** `KeepAliveTimeout`: idle keep-alive connection is closed silently. */
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * SECOND_MS;
/** `RequestTimeout`: time to receive a whole request body (-> 408). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60 * SECOND_MS;
/** `SendTimeout`: a client that does not read for this long is dropped. */
export const DEFAULT_SEND_TIMEOUT_MS = 60 * SECOND_MS;
/** `ShutdownGrace`: how long in-flight requests may finish after SIGTERM. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10 * SECOND_MS;
/**
 * `WorkerHeartbeat`: a worker that leaves the main thread's ping unanswered this long is taken
 * as stuck (a loop, a blocking call), terminated and replaced; 0 turns the heartbeat off.
 */
export const DEFAULT_WORKER_HEARTBEAT_MS = 10 * SECOND_MS;
/** Shortest `WorkerHeartbeat` other than 0: a busy but healthy worker answers well within it. */
export const MIN_WORKER_HEARTBEAT_MS = 500;

// Request limits (bytes or counts).
/** `MaxRequestLine` (-> 414). */
export const DEFAULT_MAX_REQUEST_LINE = 8190;
/** `MaxHeaderBytes`: whole head including the request line (-> 431). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * KIB;
/** `MaxHeaderCount` (-> 431). */
export const DEFAULT_MAX_HEADER_COUNT = 100;
/** `MaxBodySize` (-> 413). */
export const DEFAULT_MAX_BODY_SIZE = 100 * MIB;
/** `MaxChunkExtension`: bytes of chunk extensions per chunk (-> 400). */
export const DEFAULT_MAX_CHUNK_EXTENSION = KIB;
/** `MaxKeepAliveRequests` (0 = unlimited). */
export const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 1000;
/** `MaxRanges`: more ranges than this -> Range is ignored (nginx `max_ranges`). */
export const DEFAULT_MAX_RANGES = 100;
/** `ReadChunkSize`: bytes read from a file at a time. */
export const DEFAULT_READ_CHUNK_SIZE = MIB;

// Features.
/** `DirectoryListing`. */
export const DEFAULT_DIRECTORY_LISTING = false;
/** `ContentDigest`. */
export const DEFAULT_CONTENT_DIGEST = false;
/**
 * `ContentDigestMaxSize`: larger files get no digest (hashing reads the whole file before the
 * first byte goes out; a HEAD of a 400 MB file would wait for it).
 */
export const DEFAULT_CONTENT_DIGEST_MAX = 16 * MIB;
/** `WriteAccess` (PUT/DELETE). */
export const DEFAULT_WRITE_ACCESS = false;
/** `PasswordFile` ("" = none). */
export const DEFAULT_PASSWORD_FILE = "";
/** `WritePaths`: URL path prefixes open to PUT/DELETE. */
export const DEFAULT_WRITE_PATHS: readonly string[] = ["/"];
/** `UploadPaths`: URL path prefixes open to uploads. */
export const DEFAULT_UPLOAD_PATHS: readonly string[] = [];
/** `Compression`. */
export const DEFAULT_COMPRESSION = true;
/** `CompressionMinSize`: smaller bodies are sent as they are. */
export const DEFAULT_COMPRESSION_MIN_SIZE = KIB;
/** `CompressionTypes`: media types worth compressing. */
export const DEFAULT_COMPRESSION_TYPES: readonly string[] = [
  "text/html",
  "text/css",
  "text/plain",
  "text/javascript",
  "application/javascript",
  "application/json",
  "image/svg+xml",
  "application/xml",
];

// Sessions.
/** `Sessions`. */
export const DEFAULT_SESSIONS = true;
/** `SessionCookie`: cookie name (an RFC 6265 token). */
export const DEFAULT_SESSION_COOKIE = "sid";
/** `SessionTTL`, in seconds. */
export const DEFAULT_SESSION_TTL_S = 30 * 60;
/** `SessionKey` ("" = main generates or loads one). */
export const DEFAULT_SESSION_KEY = "";
/** `SessionKeyFile` ("" = none). */
export const DEFAULT_SESSION_KEY_FILE = "";
/** `SessionSecure`: `auto` (null): `Secure` on the session cookie exactly when TLS is on. */
export const DEFAULT_SESSION_SECURE: boolean | null = null;
/** `Memcached`: servers as `host:port`; none = in-process store. */
export const DEFAULT_MEMCACHED: readonly { readonly host: string; readonly port: number }[] = [];
/** `MemcachedTimeout`. */
export const DEFAULT_MEMCACHED_TIMEOUT_MS = 50;

// Status page.
/** `ServerStatus`. */
export const DEFAULT_STATUS_ENABLED = false;
/** `ServerStatusPath`. */
export const DEFAULT_STATUS_PATH = "/server-status";
/** `ServerStatusAllow`: client IPs or CIDRs. */
export const DEFAULT_STATUS_ALLOW: readonly string[] = ["127.0.0.1", "::1"];

// File cache.
/** `FileCacheSize` (0 disables the cache). */
export const DEFAULT_FILE_CACHE_BYTES = 64 * MIB;
/** `FileCacheMaxFileSize`: larger files are never cached. */
export const DEFAULT_FILE_CACHE_MAX_FILE = 256 * KIB;
/** `FileCacheRevalidate`: how long a cached stat is trusted. */
export const DEFAULT_FILE_CACHE_REVALIDATE_MS = SECOND_MS;

// Limits and abuse (README "Limits and abuse").
/**
 * `MaxConnectionsPerClient`: connections one client address may hold open, per instance (each
 * worker allows its share, see server/admission.ts); more get 503 + Retry-After.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
/**
 * `AuthAttemptsPerSecond`: password checks (PBKDF2) one client may start per second, per
 * instance; successes are given back. More get 429 + Retry-After without hashing.
 */
export const DEFAULT_AUTH_ATTEMPTS_PER_SECOND = 5;
/** `AuthFailureMemory`: wrong credentials are refused again without hashing for this long. */
export const DEFAULT_AUTH_FAILURE_MEMORY_MS = 30 * SECOND_MS;
/**
 * `MaxPasswordChecks`: password checks running or waiting at once, per instance (a worker hashes
 * one at a time); more get 503 + Retry-After.
 */
export const DEFAULT_MAX_PASSWORD_CHECKS = 32;
/** `CounterTTL`: a counter item in memcached expires this long after it was last counted (s). */
export const DEFAULT_COUNTER_TTL_S = 24 * 60 * 60;
/** `MaxCounterNames`: resources a worker counts by name per second; the rest as "(other)". */
export const DEFAULT_MAX_COUNTER_NAMES = 500;
// Behind a load balancer, and who gets a session cookie (README "Running several instances").
/**
 * `SessionCookieScope`: which responses may carry a new session cookie. `html`: HTML documents
 * only (2xx text/html or application/xhtml+xml), so images, scripts, stylesheets, downloads and
 * error pages stay cookie-free: shared caches can store them, a cookieless client (crawler,
 * load tool) gets one cookie per page rather than one per asset, and nothing that is not a page
 * a person reads sets a cookie.
 */
export const DEFAULT_SESSION_COOKIE_SCOPE = "html";
/** `ProxyProtocol`: every connection must start with a PROXY protocol v1 or v2 header. */
export const DEFAULT_PROXY_PROTOCOL = false;
/** `TrustedProxies`: addresses/CIDRs whose forwarding headers (and PROXY headers) are believed. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = [];
/** `ForwardedHeader`: the header a trusted proxy names the client in. */
export const DEFAULT_FORWARDED_HEADER = "x-forwarded-for";
/**
 * Longest PROXY protocol v2 header accepted (16 bytes + addresses + TLVs). v1 is at most 107
 * bytes by its spec; haproxy sends v2 TLVs of a few hundred bytes at most.
 */
export const PROXY_V2_MAX_BYTES = 4096;
// HTTPS.
/** `TLSListen`: off. */
export const DEFAULT_TLS_LISTEN: { readonly host: string; readonly port: number } | null = null;
/** `TLSCertificate`, `TLSKey` ("" = none). */
export const DEFAULT_TLS_FILE = "";
/** `TLSReloadInterval`: how often the certificate and key files are checked for a change. */
export const DEFAULT_TLS_RELOAD_INTERVAL_MS = MINUTE_MS;
/** `TLSWaitForCertificate`: missing certificate files stop start-up. */
export const DEFAULT_TLS_WAIT_FOR_CERTIFICATE = false;
/** `RedirectToHTTPS`. */
export const DEFAULT_REDIRECT_TO_HTTPS = false;
/** `HSTS`: no Strict-Transport-Security field. */
export const DEFAULT_HSTS = "";
// Automatic certificates (ACME, RFC 8555).
/** `ACME`: obtain and renew the HTTPS certificate from an ACME CA. */
export const DEFAULT_ACME = false;
/** `ACMEDomains`: the names the certificate is for (none until set). */
export const DEFAULT_ACME_DOMAINS: readonly string[] = [];
/** `ACMEEmail`: the account's contact ("" = none). */
export const DEFAULT_ACME_EMAIL = "";
/** `ACMEDirectory`: Let's Encrypt production. */
export const DEFAULT_ACME_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
/** `ACMECA`: an extra CA bundle trusted for the directory ("" = the system's roots only). */
export const DEFAULT_ACME_CA = "";
/** `ACMEStorage`: account key, certificate and key, relative to the config folder. */
export const DEFAULT_ACME_STORAGE = "acme";
/**
 * `ACMERetry`: the wait after a failed attempt, doubled after each further failure. Let's
 * Encrypt allows 5 failed validations per name and hour: 10 min, 20 min, 40 min stay below.
 */
export const DEFAULT_ACME_RETRY_MS = 10 * MINUTE_MS;
/** `ACMERetryMax`: the longest wait between attempts. */
export const DEFAULT_ACME_RETRY_MAX_MS = 12 * HOUR_MS;
/** `ACMETimeout`: the longest one attempt may take; the cluster's order lock lives as long. */
export const DEFAULT_ACME_TIMEOUT_MS = 5 * MINUTE_MS;
/** The certificate chain's file name in ACMEStorage (TLSCertificate with ACME On). */
export const ACME_CERTIFICATE_FILE = "certificate.pem";
/** The certificate key's file name in ACMEStorage (TLSKey with ACME On). */
export const ACME_KEY_FILE = "key.pem";
/** Most names in `ACMEDomains` (Let's Encrypt's limit per certificate). */
export const ACME_MAX_DOMAINS = 100;

/** Valid port numbers in `Listen` and `--port`. */
export const PORT_RANGE: Range = { min: 0, max: 65535 };
/** Valid port numbers of a `Memcached` server. */
export const REMOTE_PORT_RANGE: Range = { min: 1, max: 65535 };
/** Valid `SessionKey` lengths, in characters. */
export const SESSION_KEY_LENGTH: Range = { min: 16, max: 4096 };

/**
 * The valid range of every numeric key, by `http.conf` key name, in the key's stored unit
 * (milliseconds for `*Timeout`, seconds for `SessionTTL`, bytes for sizes).
 */
export const RANGES = {
  Workers: { min: 1, max: 256 },
  MaxSimultaneousConnections: { min: 1, max: 1_000_000 },
  HeaderTimeout: { min: 10, max: HOUR_MS },
  KeepAliveTimeout: { min: 10, max: HOUR_MS },
  RequestTimeout: { min: 10, max: 24 * HOUR_MS },
  SendTimeout: { min: 10, max: 24 * HOUR_MS },
  ShutdownGrace: { min: 0, max: 10 * MINUTE_MS },
  WorkerHeartbeat: { min: 0, max: HOUR_MS },
  AccessLogFlush: { min: 0, max: MINUTE_MS },
  MaxRequestLine: { min: 64, max: MIB },
  MaxHeaderBytes: { min: 256, max: 16 * MIB },
  MaxHeaderCount: { min: 1, max: 10_000 },
  MaxBodySize: { min: 0, max: 1024 * GIB },
  MaxChunkExtension: { min: 0, max: MIB },
  MaxKeepAliveRequests: { min: 0, max: 1_000_000_000 },
  MaxRanges: { min: 0, max: 10_000 },
  ReadChunkSize: { min: 4 * KIB, max: 16 * MIB },
  CompressionMinSize: { min: 0, max: GIB },
  SessionTTL: { min: 1, max: 366 * 24 * 60 * 60 },
  MemcachedTimeout: { min: 1, max: 60 * SECOND_MS },
  FileCacheSize: { min: 0, max: 64 * GIB },
  FileCacheMaxFileSize: { min: 0, max: GIB },
  ContentDigestMaxSize: { min: 0, max: 1024 * GIB },
  FileCacheRevalidate: { min: 0, max: HOUR_MS },
  MaxConnectionsPerClient: { min: 1, max: 1_000_000 },
  AuthAttemptsPerSecond: { min: 1, max: 10_000 },
  AuthFailureMemory: { min: 0, max: HOUR_MS },
  MaxPasswordChecks: { min: 1, max: 100_000 },
  // memcached reads an expiry above 30 days as a point in time.
  CounterTTL: { min: 60, max: 30 * 24 * 60 * 60 },
  MaxCounterNames: { min: 1, max: 100_000 },
  TLSReloadInterval: { min: 0, max: 24 * HOUR_MS },
  ACMERetry: { min: SECOND_MS, max: 24 * HOUR_MS },
  ACMERetryMax: { min: SECOND_MS, max: 7 * 24 * HOUR_MS },
  ACMETimeout: { min: 10 * SECOND_MS, max: HOUR_MS },
} as const satisfies Record<string, Range>;
