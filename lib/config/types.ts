/**
 * The shape of a validated configuration (types only; re-exported by `config.ts`).
 *
 * @module
 */

/** Error-log severity, least to most severe. */
export type LogLevel = "debug" | "info" | "notice" | "warn" | "error" | "crit";

/** One `[CacheControl]` rule: `pattern = value`, kept in file order. */
export interface CacheRule {
  /** `*.ext` (matched against the extension) or a URL-path glob starting with `/`. */
  readonly pattern: string;
  /** The Cache-Control header value to send. */
  readonly value: string;
}

/** An address; IPv6 hosts are stored without brackets (`"::1"`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * The validated server configuration: one field per `http.conf` key (key in brackets).
 * Paths are absolute ("" = off/none); durations in ms (`*Ms`) or s (`*S`); sizes in bytes.
 * Plain data only, so it survives `structuredClone` / `postMessage`.
 */
export interface Config {
  /** Absolute path of the config file; `null` when built from defaults. */
  readonly file: string | null;
  /** Absolute folder relative paths resolve against (the config file's folder). */
  readonly baseDir: string;
  /** [Listen] `host:port`, `[v6]:port` or a bare port (host 0.0.0.0). */
  readonly listen: HostPort;
  /** [DocumentRoot] */
  readonly documentRoot: string;
  /** [ErrorPages] folder holding `<status>.html`. */
  readonly errorPages: string;
  /** `[ErrorDocument]` section: status code ("300".."599") -> absolute file path. */
  readonly errorDocuments: Readonly<Record<string, string>>;
  /** [AccessLog] ("" = Off) */
  readonly accessLog: string;
  /** [ErrorLog] ("" = Off) */
  readonly errorLog: string;
  /** [LogLevel] (`warning` is read as `warn`) */
  readonly logLevel: LogLevel;
  /** [LogNotFound] 404s get an error-log line (nginx `log_not_found`). */
  readonly logNotFound: boolean;
  /** [AccessLogFlush] access lines are buffered this long at most (0: written one by one). */
  readonly accessLogFlushMs: number;
  /** [ServerTokens] `full` -> "httpserver/VERSION", `prod` -> "httpserver". */
  readonly serverTokens: "full" | "prod";
  /** [Workers] 1..256 (`auto` = CPU count). */
  readonly workers: number;
  /** [MaxSimultaneousConnections] per server instance. */
  readonly maxSimultaneousConnections: number;
  /** [HeaderTimeout] to receive a whole request head (-> 408). */
  readonly headerTimeoutMs: number;
  /** [KeepAliveTimeout] idle keep-alive connection is closed silently. */
  readonly idleTimeoutMs: number;
  /** [RequestTimeout] to receive a whole body (-> 408). */
  readonly requestTimeoutMs: number;
  /** [SendTimeout] a client not reading this long is dropped. */
  readonly sendTimeoutMs: number;
  /** [ShutdownGrace] time to drain after SIGTERM. */
  readonly shutdownGraceMs: number;
  /** [WorkerHeartbeat] a worker silent this long is replaced (0 = off). */
  readonly workerHeartbeatMs: number;
  /** [MaxRequestLine] (-> 414) */
  readonly maxRequestLine: number;
  /** [MaxHeaderBytes] whole head including the request line (-> 431). */
  readonly maxHeaderBytes: number;
  /** [MaxHeaderCount] (-> 431) */
  readonly maxHeaderCount: number;
  /** [MaxBodySize] (-> 413) */
  readonly maxBodySize: number;
  /** [MaxChunkExtension] (-> 400) */
  readonly maxChunkExtension: number;
  /** [MaxKeepAliveRequests] (0 = unlimited) */
  readonly maxRequestsPerConnection: number;
  /** [MaxRanges] more ranges -> Range ignored, 200 (0 disables ranges). */
  readonly maxRanges: number;
  /** [ReadChunkSize] 4k..16m */
  readonly readChunkSize: number;
  /** [DirectoryListing] */
  readonly directoryListing: boolean;
  /** [ContentDigest] */
  readonly contentDigest: boolean;
  /** [ContentDigestMaxSize] bytes; larger files are sent without digests. */
  readonly contentDigestMax: number;
  /** [WriteAccess] PUT/DELETE; requires passwordFile. */
  readonly writeAccess: boolean;
  /** [PasswordFile] ("" = none) */
  readonly passwordFile: string;
  /** [WritePaths] URL path prefixes, each starting with "/". */
  readonly writePaths: readonly string[];
  /** [UploadPaths] URL path prefixes, each starting with "/". */
  readonly uploadPaths: readonly string[];
  /** [Compression] */
  readonly compression: boolean;
  /** [CompressionMinSize] */
  readonly compressionMinSize: number;
  /** [CompressionTypes] lower-case media types. */
  readonly compressionTypes: readonly string[];
  /** `[CacheControl]` section, in file order. */
  readonly cacheControl: readonly CacheRule[];
  /** [Sessions] */
  readonly sessions: boolean;
  /** [SessionCookie] an RFC 6265 token. */
  readonly sessionCookie: string;
  /** [SessionTTL] in seconds (>= 1). */
  readonly sessionTtlS: number;
  /** [SessionKey] ("" = main generates or loads one) */
  readonly sessionKey: string;
  /** [SessionKeyFile] ("" = none); exclusive with sessionKey. */
  readonly sessionKeyFile: string;
  /**
   * [SessionSecure] `true`/`false` when set On/Off; `null` when `auto` (the default): Secure
   * exactly when TLS is on (see `sessionCookieSecure()`).
   */
  readonly sessionSecure: boolean | null;
  /** [Memcached] servers ([] = in-process store). */
  readonly memcached: readonly HostPort[];
  /** [MemcachedTimeout] */
  readonly memcachedTimeoutMs: number;
  /** [ServerStatus] */
  readonly statusEnabled: boolean;
  /** [ServerStatusPath] */
  readonly statusPath: string;
  /** [ServerStatusAllow] IPs or CIDR blocks (`10.0.0.0/8`, `fd00::/8`). */
  readonly statusAllow: readonly string[];
  /** [FileCacheSize] (0 disables the cache) */
  readonly fileCacheBytes: number;
  /** [FileCacheMaxFileSize] */
  readonly fileCacheMaxFile: number;
  /** [FileCacheRevalidate] */
  readonly fileCacheRevalidateMs: number;
  /** [MaxConnectionsPerClient] per instance, per client address. */
  readonly maxConnectionsPerClient: number;
  /** [AuthAttemptsPerSecond] password checks a client may start per second. */
  readonly authAttemptsPerSecond: number;
  /** [AuthFailureMemory] wrong credentials refused again without hashing (0 = off). */
  readonly authFailureMemoryMs: number;
  /** [MaxPasswordChecks] password checks running or waiting at once, per instance. */
  readonly maxPasswordChecks: number;
  /** [CounterTTL] in seconds: counter items in memcached expire this long after their last count. */
  readonly counterTtlS: number;
  /** [MaxCounterNames] resources a worker counts by name per second. */
  readonly maxCounterNames: number;
  /**
   * [SessionCookieScope] which responses may carry a new session cookie: "html" (2xx HTML
   * documents), "all", or URL path prefixes. Returning clients are recognised everywhere.
   */
  readonly sessionCookieScope: "html" | "all" | readonly string[];
  /** [ProxyProtocol] connections must start with a PROXY protocol v1/v2 header. */
  readonly proxyProtocol: boolean;
  /** [TrustedProxies] IPs or CIDR blocks whose X-Forwarded-For/Forwarded/PROXY are believed. */
  readonly trustedProxies: readonly string[];
  /** [ForwardedHeader] where trusted proxies name the client ("off": nowhere). */
  readonly forwardedHeader: "x-forwarded-for" | "forwarded" | "off";
  /** [TLSListen] the HTTPS address, or `null` when HTTPS is off (the default). */
  readonly tlsListen: HostPort | null;
  /** [TLSCertificate] PEM certificate chain, leaf first ("" = none). */
  readonly tlsCertificate: string;
  /** [TLSKey] PEM private key of the leaf ("" = none). */
  readonly tlsKey: string;
  /** [TLSReloadInterval] how often the two files are checked for a change (0 = never). */
  readonly tlsReloadIntervalMs: number;
  /** [TLSWaitForCertificate] start without the files; HTTPS comes up when they appear. */
  readonly tlsWaitForCertificate: boolean;
  /** [RedirectToHTTPS] plain-HTTP GET/HEAD get 308 to the same URL over HTTPS. */
  readonly redirectToHttps: boolean;
  /** [HSTS] the Strict-Transport-Security value of HTTPS responses ("" = none). */
  readonly hsts: string;
  /** [ACME] obtain and renew the HTTPS certificate from an ACME CA (RFC 8555). */
  readonly acme: boolean;
  /** [ACMEDomains] lower-case DNS names, no duplicates, in file order. */
  readonly acmeDomains: readonly string[];
  /** [ACMEEmail] the account's contact address ("" = none). */
  readonly acmeEmail: string;
  /** [ACMEDirectory] the CA's directory URL (https). */
  readonly acmeDirectory: string;
  /** [ACMECA] PEM bundle trusted for the directory besides the system's roots ("" = none). */
  readonly acmeCa: string;
  /** [ACMEStorage] folder of the account key, certificate.pem and key.pem. */
  readonly acmeStorage: string;
  /** [ACMERetry] wait after a failed attempt (doubled after each further one). */
  readonly acmeRetryMs: number;
  /** [ACMERetryMax] longest wait between attempts. */
  readonly acmeRetryMaxMs: number;
  /** [ACMETimeout] longest one attempt may take (and the cluster order lock's life). */
  readonly acmeTimeoutMs: number;
}
