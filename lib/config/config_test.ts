import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  type Config,
  ConfigError,
  defaultConfig,
  parseConfig,
  sessionCookieSecure,
  withOverrides,
} from "./config.ts";
import { MAIN_KEYS } from "./keys.ts";

const BASE = "/srv/site";
const FILE = "/srv/site/http.conf";
const OPTS = { file: FILE, baseDir: BASE, cpus: 4 };

function parse(text: string): Config {
  return parseConfig(text, OPTS);
}

/** Parse `text` expecting a ConfigError; returns it. */
function parseError(text: string): ConfigError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

Deno.test("defaultConfig() holds every documented default", () => {
  const c = defaultConfig(BASE, 4);
  assert.deepEqual(c, {
    file: null,
    baseDir: BASE,
    listen: { host: "0.0.0.0", port: 8080 },
    documentRoot: "/srv/site/www/html",
    errorPages: "/srv/site/error",
    errorDocuments: {},
    accessLog: "/srv/site/logs/access.log",
    errorLog: "/srv/site/logs/error.log",
    logLevel: "info",
    logNotFound: true,
    accessLogFlushMs: 100,
    serverTokens: "prod",
    workers: 4,
    maxSimultaneousConnections: 20000,
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 15_000,
    requestTimeoutMs: 60_000,
    sendTimeoutMs: 60_000,
    shutdownGraceMs: 10_000,
    workerHeartbeatMs: 10_000,
    maxRequestLine: 8190,
    maxHeaderBytes: 16384,
    maxHeaderCount: 100,
    maxBodySize: 100 * 1024 * 1024,
    maxChunkExtension: 1024,
    maxRequestsPerConnection: 1000,
    maxRanges: 100,
    readChunkSize: 1048576,
    directoryListing: false,
    contentDigest: false,
    contentDigestMax: 16 * 1024 * 1024,
    writeAccess: false,
    passwordFile: "",
    writePaths: ["/"],
    uploadPaths: [],
    compression: true,
    compressionMinSize: 1024,
    compressionTypes: [
      "text/html",
      "text/css",
      "text/plain",
      "text/javascript",
      "application/javascript",
      "application/json",
      "image/svg+xml",
      "application/xml",
    ],
    cacheControl: [],
    sessions: true,
    sessionCookie: "sid",
    sessionTtlS: 1800,
    sessionKey: "",
    sessionKeyFile: "",
    sessionSecure: null,
    memcached: [],
    memcachedTimeoutMs: 50,
    statusEnabled: false,
    statusPath: "/server-status",
    statusAllow: ["127.0.0.1", "::1"],
    fileCacheBytes: 64 * 1024 * 1024,
    fileCacheMaxFile: 256 * 1024,
    fileCacheRevalidateMs: 1000,
    maxConnectionsPerClient: 256,
    authAttemptsPerSecond: 5,
    authFailureMemoryMs: 30_000,
    maxPasswordChecks: 32,
    counterTtlS: 86_400,
    maxCounterNames: 500,
    sessionCookieScope: "html",
    proxyProtocol: false,
    trustedProxies: [],
    forwardedHeader: "x-forwarded-for",
    tlsListen: null,
    tlsCertificate: "",
    tlsKey: "",
    tlsReloadIntervalMs: 60_000,
    tlsWaitForCertificate: false,
    redirectToHttps: false,
    hsts: "",
    acme: false,
    acmeDomains: [],
    acmeEmail: "",
    acmeDirectory: "https://acme-v02.api.letsencrypt.org/directory",
    acmeCa: "",
    acmeStorage: "/srv/site/acme",
    acmeRetryMs: 600_000,
    acmeRetryMaxMs: 12 * 3_600_000,
    acmeTimeoutMs: 300_000,
  });
});

Deno.test("defaultConfig() equals parseConfig() of empty and comment-only text", () => {
  const blank = parseConfig("; nothing\n\n# here\n   \n", { file: null, baseDir: BASE, cpus: 4 });
  assert.deepEqual(blank, defaultConfig(BASE, 4));
});

Deno.test("defaultConfig() clamps Workers auto to 1..256", () => {
  assert.equal(defaultConfig(BASE, 0).workers, 1);
  assert.equal(defaultConfig(BASE, 2.7).workers, 2);
  assert.equal(defaultConfig(BASE, 1000).workers, 256);
  assert.equal(defaultConfig(BASE, NaN).workers, 1);
});

// [key, value text, field, expected value]
const GOOD: [string, string, keyof Config, unknown][] = [
  ["Listen", "127.0.0.1:0", "listen", { host: "127.0.0.1", port: 0 }],
  ["Listen", "[::1]:8080", "listen", { host: "::1", port: 8080 }],
  ["Listen", "localhost:65535", "listen", { host: "localhost", port: 65535 }],
  ["Listen", "9000", "listen", { host: "0.0.0.0", port: 9000 }],
  ["Listen", "*:80", "listen", { host: "0.0.0.0", port: 80 }],
  ["DocumentRoot", "public", "documentRoot", "/srv/site/public"],
  ["DocumentRoot", "/var/www", "documentRoot", "/var/www"],
  ["DocumentRoot", "../shared/www", "documentRoot", "/srv/shared/www"],
  ["ErrorPages", "pages/err", "errorPages", "/srv/site/pages/err"],
  ["AccessLog", "Off", "accessLog", ""],
  ["AccessLog", "/var/log/a.log", "accessLog", "/var/log/a.log"],
  ["ErrorLog", "off", "errorLog", ""],
  ["ErrorLog", "e.log", "errorLog", "/srv/site/e.log"],
  ["LogLevel", "debug", "logLevel", "debug"],
  ["LogLevel", "Warning", "logLevel", "warn"],
  ["LogLevel", "WARN", "logLevel", "warn"],
  ["LogLevel", "crit", "logLevel", "crit"],
  ["LogNotFound", "off", "logNotFound", false],
  ["AccessLogFlush", "0", "accessLogFlushMs", 0],
  ["AccessLogFlush", "250ms", "accessLogFlushMs", 250],
  ["ServerTokens", "Full", "serverTokens", "full"],
  ["ServerTokens", "prod", "serverTokens", "prod"],
  ["Workers", "auto", "workers", 4],
  ["Workers", "AUTO", "workers", 4],
  ["Workers", "1", "workers", 1],
  ["Workers", "256", "workers", 256],
  ["MaxSimultaneousConnections", "5", "maxSimultaneousConnections", 5],
  ["HeaderTimeout", "500ms", "headerTimeoutMs", 500],
  ["KeepAliveTimeout", "2m", "idleTimeoutMs", 120_000],
  ["RequestTimeout", "90", "requestTimeoutMs", 90_000],
  ["SendTimeout", "1h", "sendTimeoutMs", 3_600_000],
  ["ShutdownGrace", "0", "shutdownGraceMs", 0],
  ["WorkerHeartbeat", "0", "workerHeartbeatMs", 0],
  ["WorkerHeartbeat", "500ms", "workerHeartbeatMs", 500],
  ["WorkerHeartbeat", "30s", "workerHeartbeatMs", 30_000],
  ["MaxRequestLine", "4k", "maxRequestLine", 4096],
  ["MaxHeaderBytes", "1M", "maxHeaderBytes", 1024 * 1024],
  ["MaxHeaderCount", "50", "maxHeaderCount", 50],
  ["MaxBodySize", "0", "maxBodySize", 0],
  ["MaxBodySize", "2g", "maxBodySize", 2 * 1024 ** 3],
  ["MaxChunkExtension", "256", "maxChunkExtension", 256],
  ["MaxKeepAliveRequests", "0", "maxRequestsPerConnection", 0],
  ["MaxRanges", "0", "maxRanges", 0],
  ["ReadChunkSize", "4k", "readChunkSize", 4096],
  ["ReadChunkSize", "16m", "readChunkSize", 16 * 1024 * 1024],
  ["DirectoryListing", "yes", "directoryListing", true],
  ["ContentDigest", "TRUE", "contentDigest", true],
  ["ContentDigestMaxSize", "0", "contentDigestMax", 0],
  ["ContentDigestMaxSize", "1g", "contentDigestMax", 1024 ** 3],
  ["PasswordFile", "users.htpasswd", "passwordFile", "/srv/site/users.htpasswd"],
  ["PasswordFile", "", "passwordFile", ""],
  ["WritePaths", "/upload, /dav/  /x", "writePaths", ["/upload", "/dav/", "/x"]],
  ["WritePaths", "", "writePaths", []],
  ["UploadPaths", "/in", "uploadPaths", ["/in"]],
  ["Compression", "no", "compression", false],
  ["CompressionMinSize", "0", "compressionMinSize", 0],
  ["CompressionTypes", "Text/HTML, image/svg+xml", "compressionTypes", [
    "text/html",
    "image/svg+xml",
  ]],
  ["CompressionTypes", "", "compressionTypes", []],
  ["Sessions", "false", "sessions", false],
  ["SessionCookie", "__Host-id", "sessionCookie", "__Host-id"],
  ["SessionTTL", "1s", "sessionTtlS", 1],
  ["SessionTTL", "2h", "sessionTtlS", 7200],
  ["SessionTTL", "3000ms", "sessionTtlS", 3],
  ["SessionKey", "0123456789abcdef", "sessionKey", "0123456789abcdef"],
  ["SessionKey", "", "sessionKey", ""],
  ["SessionKeyFile", "secret/key", "sessionKeyFile", "/srv/site/secret/key"],
  ["SessionSecure", "On", "sessionSecure", true],
  ["Memcached", "127.0.0.1:11211, [::1]:11212 cache.local:1", "memcached", [
    { host: "127.0.0.1", port: 11211 },
    { host: "::1", port: 11212 },
    { host: "cache.local", port: 1 },
  ]],
  ["Memcached", "", "memcached", []],
  ["MemcachedTimeout", "1ms", "memcachedTimeoutMs", 1],
  ["ServerStatus", "on", "statusEnabled", true],
  ["ServerStatusPath", "/_status", "statusPath", "/_status"],
  ["ServerStatusAllow", "10.0.0.0/8, ::1 fd00::/8 192.168.1.7", "statusAllow", [
    "10.0.0.0/8",
    "::1",
    "fd00::/8",
    "192.168.1.7",
  ]],
  ["ServerStatusAllow", "", "statusAllow", []],
  ["FileCacheSize", "0", "fileCacheBytes", 0],
  ["FileCacheMaxFileSize", "1m", "fileCacheMaxFile", 1024 * 1024],
  ["FileCacheRevalidate", "0", "fileCacheRevalidateMs", 0],
  ["MaxConnectionsPerClient", "8", "maxConnectionsPerClient", 8],
  ["AuthAttemptsPerSecond", "1", "authAttemptsPerSecond", 1],
  ["AuthFailureMemory", "0", "authFailureMemoryMs", 0],
  ["AuthFailureMemory", "2m", "authFailureMemoryMs", 120_000],
  ["MaxPasswordChecks", "4", "maxPasswordChecks", 4],
  ["CounterTTL", "1h", "counterTtlS", 3600],
  ["MaxCounterNames", "20", "maxCounterNames", 20],
  ["SessionCookieScope", "HTML", "sessionCookieScope", "html"],
  ["SessionCookieScope", "all", "sessionCookieScope", "all"],
  ["SessionCookieScope", "/app/, /account", "sessionCookieScope", ["/app/", "/account"]],
  ["ProxyProtocol", "On", "proxyProtocol", true],
  ["TrustedProxies", "10.0.0.0/8 ::1", "trustedProxies", ["10.0.0.0/8", "::1"]],
  ["TrustedProxies", "", "trustedProxies", []],
  ["ForwardedHeader", "Forwarded", "forwardedHeader", "forwarded"],
  ["ForwardedHeader", "X-Forwarded-For", "forwardedHeader", "x-forwarded-for"],
  ["ForwardedHeader", "off", "forwardedHeader", "off"],
  ["SessionSecure", "auto", "sessionSecure", null],
  ["SessionSecure", "off", "sessionSecure", false],
  ["TLSListen", "Off", "tlsListen", null],
  ["TLSListen", "", "tlsListen", null],
  ["TLSCertificate", "tls/cert.pem", "tlsCertificate", "/srv/site/tls/cert.pem"],
  ["TLSKey", "/etc/k.pem", "tlsKey", "/etc/k.pem"],
  ["TLSReloadInterval", "30s", "tlsReloadIntervalMs", 30_000],
  ["TLSReloadInterval", "0", "tlsReloadIntervalMs", 0],
  ["TLSWaitForCertificate", "On", "tlsWaitForCertificate", true],
  ["RedirectToHTTPS", "Off", "redirectToHttps", false],
  ["HSTS", "Off", "hsts", ""],
  ["ACME", "Off", "acme", false],
  ["ACMEDomains", "Example.org, www.example.org example.org", "acmeDomains", [
    "example.org",
    "www.example.org",
  ]],
  ["ACMEDomains", "", "acmeDomains", []],
  ["ACMEEmail", "admin@example.org", "acmeEmail", "admin@example.org"],
  ["ACMEEmail", "", "acmeEmail", ""],
  ["ACMEDirectory", "https://127.0.0.1:14000/dir", "acmeDirectory", "https://127.0.0.1:14000/dir"],
  ["ACMECA", "pebble.pem", "acmeCa", "/srv/site/pebble.pem"],
  ["ACMECA", "", "acmeCa", ""],
  ["ACMEStorage", "/var/lib/httpserver/acme", "acmeStorage", "/var/lib/httpserver/acme"],
  ["ACMEStorage", "certs", "acmeStorage", "/srv/site/certs"],
  ["ACMERetry", "30s", "acmeRetryMs", 30_000],
  ["ACMERetryMax", "1h", "acmeRetryMaxMs", 3_600_000],
  ["ACMETimeout", "2m", "acmeTimeoutMs", 120_000],
];

/** Keys that only parse with HTTPS on: [key, value, field, expected]. */
const TLS_ON = "TLSListen = 127.0.0.1:8443\nTLSCertificate = c.pem\nTLSKey = k.pem\n";
const GOOD_WITH_TLS: [string, string, keyof Config, unknown][] = [
  ["TLSListen", "443", "tlsListen", { host: "0.0.0.0", port: 443 }],
  ["TLSListen", "[::]:8443", "tlsListen", { host: "::", port: 8443 }],
  ["RedirectToHTTPS", "On", "redirectToHttps", true],
  ["HSTS", "max-age=63072000", "hsts", "max-age=63072000"],
  ["HSTS", '"max-age=0; includeSubDomains"', "hsts", "max-age=0; includeSubDomains"],
  [
    "HSTS",
    '"includeSubDomains; max-age=\\"31536000\\""',
    "hsts",
    'includeSubDomains; max-age="31536000"',
  ],
];

Deno.test("parseConfig() reads the HTTPS keys", () => {
  for (const [key, value, field, expected] of GOOD_WITH_TLS) {
    const text = key === "TLSListen"
      ? `${key} = ${value}\nTLSCertificate = c.pem\nTLSKey = k.pem\n`
      : `${TLS_ON}${key} = ${value}\n`;
    assert.deepEqual(parse(text)[field], expected, `${key} = ${value}`);
  }
});

Deno.test("parseConfig() reads every key's value", () => {
  for (const [key, value, field, expected] of GOOD) {
    const c = parse(`${key} = ${value}\n`);
    assert.deepEqual(c[field], expected, `${key} = ${value}`);
  }
  const keys = new Set([...GOOD, ...GOOD_WITH_TLS].map(([k]) => k));
  for (const k of Object.keys(MAIN_KEYS)) {
    if (k !== "WriteAccess") assert.ok(keys.has(k), `no test for ${k}`);
  }
});

// [key, bad value]: every key gets at least one.
const BAD: [string, string][] = [
  ["Listen", "8080x"],
  ["Listen", "1.2.3.4:65536"],
  ["Listen", "::1:80"],
  ["Listen", "[zz]:80"],
  ["Listen", "999.1.1.1:80"],
  ["Listen", "host_name:80"],
  ["Listen", ""],
  ["DocumentRoot", ""],
  ["ErrorPages", ""],
  ["AccessLog", ""],
  ["ErrorLog", ""],
  ["LogLevel", "verbose"],
  ["LogNotFound", "maybe"],
  ["ServerTokens", "Minimal"],
  ["Workers", "abc"],
  ["Workers", "0"],
  ["Workers", "257"],
  ["Workers", "-1"],
  ["Workers", "+2"],
  ["Workers", "1e2"],
  ["MaxSimultaneousConnections", "0"],
  ["MaxSimultaneousConnections", "1_000"],
  ["HeaderTimeout", "5ms"],
  ["HeaderTimeout", "2h"],
  ["HeaderTimeout", "10 s"],
  ["HeaderTimeout", "1.5s"],
  ["KeepAliveTimeout", "10x"],
  ["RequestTimeout", "s"],
  ["SendTimeout", "-1s"],
  ["AccessLogFlush", "2m"],
  ["ShutdownGrace", "11m"],
  ["WorkerHeartbeat", "100ms"],
  ["WorkerHeartbeat", "2h"],
  ["MaxRequestLine", "63"],
  ["MaxRequestLine", "4kb"],
  ["MaxHeaderBytes", "255"],
  ["MaxHeaderCount", "0"],
  ["MaxBodySize", "1025g"],
  ["MaxBodySize", "99999999999999999999"],
  ["MaxChunkExtension", "2m"],
  ["MaxKeepAliveRequests", "lots"],
  ["MaxRanges", "10001"],
  ["ReadChunkSize", "4095"],
  ["ReadChunkSize", "17m"],
  ["DirectoryListing", "1"],
  ["ContentDigest", "enabled"],
  ["ContentDigestMaxSize", "-1"],
  ["ContentDigestMaxSize", "lots"],
  ["WriteAccess", "sure"],
  ["PasswordFile", '"a\\u0000b"'],
  ["WritePaths", "upload"],
  ["WritePaths", "/a/../b"],
  ["UploadPaths", "/ok relative"],
  ["Compression", "gzip"],
  ["CompressionMinSize", "2g"],
  ["CompressionTypes", "text"],
  ["Sessions", "0"],
  ["SessionCookie", "bad name"],
  ["SessionCookie", '"a;b"'],
  ["SessionCookie", ""],
  ["SessionTTL", "0"],
  ["SessionTTL", "1500ms"],
  ["SessionTTL", "8785h"],
  ["SessionKey", "short"],
  ["SessionKeyFile", '"\\u0000"'],
  ["SessionSecure", "2"],
  ["Memcached", "localhost"],
  ["Memcached", "127.0.0.1:0"],
  ["MemcachedTimeout", "0"],
  ["MemcachedTimeout", "2m"],
  ["ServerStatus", "yesplease"],
  ["ServerStatusPath", "server-status"],
  ["ServerStatusPath", ""],
  ["ServerStatusAllow", "10.0.0.0/33"],
  ["ServerStatusAllow", "localhost"],
  ["ServerStatusAllow", "::1/129"],
  ["FileCacheSize", "65g"],
  ["FileCacheMaxFileSize", "2g"],
  ["FileCacheRevalidate", "2h"],
  ["MaxConnectionsPerClient", "0"],
  ["AuthAttemptsPerSecond", "0"],
  ["AuthFailureMemory", "2h"],
  ["MaxPasswordChecks", "many"],
  ["CounterTTL", "59s"],
  ["CounterTTL", "31d"],
  ["CounterTTL", "1500ms"],
  ["MaxCounterNames", "0"],
  ["SessionCookieScope", "images"],
  ["SessionCookieScope", "/app/ ../x"],
  ["ProxyProtocol", "v2"],
  ["TrustedProxies", "haproxy.local"],
  ["TrustedProxies", "10.0.0.0/40"],
  ["ForwardedHeader", "X-Real-IP"],
  ["SessionSecure", "sometimes"],
  ["TLSListen", "8443x"],
  ["TLSListen", "host_name:443"],
  ["TLSCertificate", '"\\u0000"'],
  ["TLSKey", '"a\\u0000"'],
  ["TLSReloadInterval", "25h"],
  ["TLSWaitForCertificate", "later"],
  ["RedirectToHTTPS", "always"],
  ["HSTS", "includeSubDomains"],
  ["HSTS", "max-age=abc"],
  ["ACME", "auto"],
  ["ACMEDomains", "*.example.org"],
  ["ACMEDomains", "192.168.1.7"],
  ["ACMEDomains", "under_score.example.org"],
  ["ACMEEmail", "mailto:admin@example.org"],
  ["ACMEEmail", "admin"],
  ["ACMEEmail", "a b@example.org"],
  ["ACMEDirectory", "http://127.0.0.1:14000/dir"],
  ["ACMEDirectory", "acme-v02.api.letsencrypt.org/directory"],
  ["ACMEDirectory", "https://user:pw@ca.example/dir"],
  ["ACMECA", '"\\u0000"'],
  ["ACMEStorage", ""],
  ["ACMERetry", "0"],
  ["ACMERetryMax", "8d"],
  ["ACMETimeout", "1s"],
];

Deno.test("parseConfig() names key and line for every kind of bad value", () => {
  for (const [key, value] of BAD) {
    const e = parseError(`; header\n\n  ${key} = ${value}\nLogLevel = info\n`);
    const what = `${key} = ${value}`;
    assert.equal(e.key, key, what);
    assert.equal(e.line, 3, what);
    assert.equal(e.file, FILE, what);
    assert.equal(e.name, "ConfigError", what);
    assert.match(e.message, new RegExp(`^http\\.conf:3: ${key}: expected .+, got ".*"$`), what);
  }
  const keys = new Set(BAD.map(([k]) => k));
  for (const k of Object.keys(MAIN_KEYS)) assert.ok(keys.has(k), `no bad-value test for ${k}`);
});

Deno.test("parseConfig() error message has the documented format", () => {
  const e = parseError("\n".repeat(11) + "Workers = abc\n");
  assert.equal(
    e.message,
    'http.conf:12: Workers: expected a positive integer or "auto", got "abc"',
  );
  assert.ok(e instanceof Error);
});

Deno.test("parseConfig() uses 'config' as the file label when file is null", () => {
  try {
    parseConfig("Workers = x", { file: null, baseDir: BASE, cpus: 1 });
    assert.fail("accepted");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, null);
    assert.match(e.message, /^config:1: Workers: /);
  }
});

Deno.test("parseConfig() rejects an unknown key, suggesting the right case", () => {
  const e = parseError("Listen = 80\nServerName = example.com\n");
  assert.equal(e.key, "ServerName");
  assert.equal(e.line, 2);
  assert.match(e.message, /^http\.conf:2: ServerName: unknown key/);
  const lower = parseError("listen = 80");
  assert.match(lower.message, /did you mean Listen\?/);
  assert.equal(parseError("__proto__ = 1").key, "__proto__");
  assert.equal(parseError("Listen[] = 1").key, "Listen[]");
});

Deno.test("parseConfig() rejects an unknown or repeated section", () => {
  const e = parseError("Listen = 80\n\n[Proxy]\nx = 1\n");
  assert.equal(e.line, 3);
  assert.equal(e.key, null);
  assert.match(e.message, /unknown section \[Proxy\]/);
  assert.match(parseError("[cachecontrol]").message, /unknown section/);
  assert.match(parseError("[CacheControl.x]").message, /unknown section/);
  const dup = parseError("[CacheControl]\n*.js = no-cache\n[CacheControl]\n*.css = no-cache\n");
  assert.equal(dup.line, 3);
  assert.match(dup.message, /duplicate section \(first on line 1\)/);
});

Deno.test("parseConfig() rejects a duplicate key naming both lines", () => {
  const e = parseError("Workers = 2\n; again\nWorkers = 3\n");
  assert.equal(e.key, "Workers");
  assert.equal(e.line, 3);
  assert.match(e.message, /^http\.conf:3: Workers: duplicate key \(first set on line 1\)$/);
  const inSection = parseError("[CacheControl]\n*.css = a\n*.css = b\n");
  assert.equal(inSection.line, 3);
  // The same name in different sections is not a duplicate.
  parse("[CacheControl]\n/x = no-store\n[ErrorDocument]\n404 = x.html\n");
});

Deno.test("parseConfig() rejects INI syntax errors naming the line", () => {
  for (
    const [text, line] of [
      ["Listen = 80\nWorkers\n", 2],
      ["\n\n= value\n", 3],
      ["[ErrorDocument\n", 1],
      ["[]\n", 1],
      ["Listen = 80 \u0001\n", 1],
      ["a\r\nb = 1", 1],
      ["Listen = 80\r\n\r\nbad line", 3],
      ["Listen = 80\u2028Workers = 2", 1],
    ] as const
  ) {
    const e = parseError(text);
    assert.equal(e.line, line, JSON.stringify(text));
    assert.equal(e.key, null, JSON.stringify(text));
    assert.match(e.message, new RegExp(`^http\\.conf:${line}: `));
  }
});

Deno.test("parseConfig() decodes values the npm:ini way", () => {
  assert.equal(parse("DocumentRoot = public ; a comment").documentRoot, "/srv/site/public");
  assert.equal(parse("DocumentRoot = public # a comment").documentRoot, "/srv/site/public");
  assert.equal(parse('DocumentRoot = "my;dir"').documentRoot, "/srv/site/my;dir");
  assert.equal(parse("DocumentRoot = 'a b'").documentRoot, "/srv/site/a b");
  assert.equal(parse("DocumentRoot = x\\;y").documentRoot, "/srv/site/x;y");
  assert.equal(parse("\uFEFFListen=1\r\nWorkers=2\r").workers, 2);
  assert.equal(parse("  Listen\t=\t81  ").listen.port, 81);
  assert.equal(parse("ServerStatus = true").statusEnabled, true);
});

Deno.test("parseConfig() reads [ErrorDocument] relative to the config folder", () => {
  const c = parse("[ErrorDocument]\n404 = /custom/404.html\n503 = pages/busy.html\n301 = m.html\n");
  assert.deepEqual(c.errorDocuments, {
    "301": "/srv/site/m.html",
    "404": "/custom/404.html",
    "503": "/srv/site/pages/busy.html",
  });
  for (const bad of ["200", "600", "40", "4040", "abc", "0404"]) {
    const e = parseError(`[ErrorDocument]\n${bad} = x.html\n`);
    assert.equal(e.key, bad);
    assert.equal(e.line, 2);
    assert.match(e.message, /status code from 300 to 599/);
  }
  assert.match(parseError("[ErrorDocument]\n404 =\n").message, /404: expected a file path/);
});

Deno.test("parseConfig() keeps [CacheControl] rules in file order", () => {
  const c = parse(
    "[CacheControl]\n/assets/* = max-age=86400\n*.css = public, max-age=3600\n* = no-cache\n" +
      "/404 = no-store\n",
  );
  assert.deepEqual(c.cacheControl, [
    { pattern: "/assets/*", value: "max-age=86400" },
    { pattern: "*.css", value: "public, max-age=3600" },
    { pattern: "*", value: "no-cache" },
    { pattern: "/404", value: "no-store" },
  ]);
  for (const bad of ["css", "404", "*css", "*."]) {
    const e = parseError(`[CacheControl]\n${bad} = no-cache\n`);
    assert.equal(e.line, 2);
    assert.match(e.message, /as the key$/);
  }
  for (const bad of ["", "caf\u00e9", '"a\\tb\\u007f"']) {
    const e = parseError(`[CacheControl]\n*.js = ${bad}\n`);
    assert.equal(e.key, "*.js");
    assert.match(e.message, /expected a Cache-Control header value/);
  }
});

Deno.test("parseConfig() reads durations and sizes with overflow checks", () => {
  const ms = (v: string) => parse(`SendTimeout = ${v}`).sendTimeoutMs;
  assert.equal(ms("10"), 10_000);
  assert.equal(ms("10s"), 10_000);
  assert.equal(ms("010s"), 10_000);
  assert.equal(ms("750ms"), 750);
  assert.equal(ms("2m"), 120_000);
  assert.equal(ms("24h"), 86_400_000);
  const bytes = (v: string) => parse(`MaxBodySize = ${v}`).maxBodySize;
  assert.equal(bytes("123"), 123);
  assert.equal(bytes("1k"), 1024);
  assert.equal(bytes("1K"), 1024);
  assert.equal(bytes("3m"), 3 * 1024 * 1024);
  assert.equal(bytes("1G"), 1024 ** 3);
  assert.equal(bytes("1024g"), 1024 ** 4);
  for (const v of ["9007199254740992", "9007199254740991k", "99999999999999999999g", "1kk"]) {
    assert.equal(parseError(`MaxBodySize = ${v}`).key, "MaxBodySize");
  }
  for (const v of ["2S", "1d", "ms", "1 m", "0x10"]) {
    assert.equal(parseError(`SendTimeout = ${v}`).key, "SendTimeout");
  }
});

Deno.test("parseConfig() cross-checks keys that depend on each other", () => {
  const cases: [string, string, number | null, RegExp][] = [
    ["WriteAccess = On\n", "WriteAccess", 1, /WriteAccess On requires PasswordFile/],
    ["SessionKey = 0123456789abcdef\nSessionKeyFile = k\n", "SessionKeyFile", 2, /not both/],
    ["MaxHeaderBytes = 4k\n", "MaxHeaderBytes", 1, /MaxRequestLine \(8190\).*\(4096\)/],
    ["MaxRequestLine = 20k\n", "MaxRequestLine", 1, /must not exceed MaxHeaderBytes/],
    ["HeaderTimeout = 2m\n", "HeaderTimeout", 1, /must not exceed RequestTimeout/],
    ["RequestTimeout = 1s\n", "RequestTimeout", 1, /HeaderTimeout \(10000ms\)/],
    ["FileCacheSize = 100k\n", "FileCacheSize", 1, /FileCacheMaxFileSize/],
    ["TLSListen = 8443\n", "TLSListen", 1, /TLSListen requires TLSCertificate and TLSKey/],
    [
      "TLSListen = 8443\nTLSCertificate = c\n",
      "TLSListen",
      1,
      /requires TLSCertificate and TLSKey/,
    ],
    ["RedirectToHTTPS = On\n", "RedirectToHTTPS", 1, /RedirectToHTTPS On requires TLSListen/],
    ["HSTS = max-age=1\n", "HSTS", 1, /HSTS requires TLSListen/],
    [`${TLS_ON}Listen = 8443\n`, "TLSListen", 1, /TLSListen must differ from Listen/],
    ["ACME = On\n", "ACME", 1, /ACME On requires ACMEDomains/],
    ["ACMEDomains =\nACME = On\n", "ACMEDomains", 1, /ACME On requires ACMEDomains/],
    ["ACMERetry = 13h\n", "ACMERetry", 1, /ACMERetry \(46800000ms\) must not exceed ACMERetryMax/],
    ["ACMERetryMax = 1m\n", "ACMERetryMax", 1, /must not exceed ACMERetryMax \(60000ms\)/],
  ];
  for (const [text, key, line, re] of cases) {
    const e = parseError(text);
    assert.equal(e.key, key, text);
    assert.equal(e.line, line, text);
    assert.match(e.message, re, text);
  }
  const c = parse("WriteAccess = On\nPasswordFile = users\nFileCacheSize = 0\n");
  assert.equal(c.writeAccess, true);
  assert.equal(c.passwordFile, "/srv/site/users");
  assert.equal(c.fileCacheBytes, 0);
});

Deno.test("parseConfig() returns a deep-frozen config", () => {
  const c = parse("[CacheControl]\n*.css = no-cache\n[ErrorDocument]\n404 = x.html\n");
  for (
    const v of [c, c.listen, c.cacheControl, c.cacheControl[0], c.errorDocuments, c.writePaths]
  ) {
    assert.ok(Object.isFrozen(v));
  }
  assert.throws(() => {
    (c.writePaths as string[]).push("/x");
  }, TypeError);
});

Deno.test("parseConfig() output survives structuredClone", () => {
  const c = parse(
    "Memcached = 127.0.0.1:1\n[CacheControl]\n*.css = no-cache\n[ErrorDocument]\n404 = x.html\n",
  );
  assert.deepEqual(structuredClone(c), c);
  assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
});

Deno.test("withOverrides() replaces port, root and workers and keeps the rest", () => {
  const base = parse("Listen = 127.0.0.1:8080\nWorkers = 2\n");
  const c = withOverrides(base, { port: 0, root: "site", workers: 3, cwd: "/home/me" });
  assert.deepEqual(c.listen, { host: "127.0.0.1", port: 0 });
  assert.equal(c.documentRoot, "/home/me/site");
  assert.equal(c.workers, 3);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listen));
  assert.deepEqual(
    { ...c, listen: base.listen, documentRoot: base.documentRoot, workers: 2 },
    base,
  );
  assert.equal(base.listen.port, 8080);
  assert.equal(withOverrides(base, { root: "/abs/../r" }).documentRoot, "/r");
  assert.equal(withOverrides(base, { root: "rel" }).documentRoot, "/srv/site/rel");
  assert.deepEqual(withOverrides(base, { port: undefined }), base);
});

Deno.test("withOverrides() --tls-port: HTTPS on that port, keeping the host of TLSListen or Listen", () => {
  const files = "TLSCertificate = c.pem\nTLSKey = k.pem\n";
  const off = parse(`Listen = 127.0.0.1:8080\n${files}`);
  assert.deepEqual(withOverrides(off, { tlsPort: 0 }).tlsListen, { host: "127.0.0.1", port: 0 });
  const on = parse(`Listen = 127.0.0.1:8080\nTLSListen = 10.0.0.1:443\n${files}`);
  assert.deepEqual(withOverrides(on, { tlsPort: 8443 }).tlsListen, {
    host: "10.0.0.1",
    port: 8443,
  });
  assert.throws(
    () => withOverrides(parse(""), { tlsPort: 1 }),
    /sets no TLSCertificate and TLSKey/,
  );
  assert.throws(() => withOverrides(off, { tlsPort: 8080 }), /Listen uses it/);
  assert.throws(() => withOverrides(off, { port: 9000, tlsPort: 9000 }), /Listen uses it/);
  assert.throws(() => withOverrides(off, { tlsPort: 70000 }), RangeError);
});

Deno.test("sessionCookieSecure(): SessionSecure auto is Secure exactly when TLS is on", () => {
  const tls = "TLSListen = 8443\nTLSCertificate = c.pem\nTLSKey = k.pem\n";
  assert.equal(sessionCookieSecure(parse("")), false);
  assert.equal(sessionCookieSecure(parse(tls)), true);
  assert.equal(sessionCookieSecure(parse(`${tls}SessionSecure = Off\n`)), false);
  assert.equal(sessionCookieSecure(parse("SessionSecure = On\n")), true);
});

Deno.test("parseConfig() and withOverrides() insist on absolute base folders", () => {
  assert.throws(() => parseConfig("", { file: null, baseDir: "rel", cpus: 1 }), TypeError);
  assert.throws(() => withOverrides(defaultConfig(BASE, 1), { root: "x", cwd: "rel" }), TypeError);
});

Deno.test("withOverrides() rejects out-of-range values", () => {
  const base = defaultConfig(BASE, 1);
  for (
    const o of [{ port: -1 }, { port: 65536 }, { port: 1.5 }, { workers: 0 }, { workers: 257 }, {
      root: "",
    }]
  ) {
    assert.throws(() => withOverrides(base, o), RangeError, JSON.stringify(o));
  }
});

Deno.test("parseConfig() throws nothing but ConfigError on arbitrary text", () => {
  const keys = [...Object.keys(MAIN_KEYS), "[ErrorDocument]", "[CacheControl]", "404", "*.css"];
  const line = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.tuple(fc.constantFrom(...keys), fc.string({ maxLength: 20 })).map(([k, v]) => `${k}=${v}`),
    fc.constantFrom(...keys),
  );
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 12 }),
      fc.constantFrom("\n", "\r\n", "\r"),
      (ls, nl) => {
        try {
          parse(ls.join(nl));
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("parseConfig() accepts the bundled http.conf, which sets every key", () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const file = join(dir, "http.conf");
  const text = Deno.readTextFileSync(file);
  const c = parseConfig(text, { file, baseDir: dir, cpus: 2 });
  for (const key of Object.keys(MAIN_KEYS)) {
    assert.match(text, new RegExp(`^${key} *=`, "m"), `http.conf lacks ${key}`);
  }
  assert.equal(c.documentRoot, join(dir, "www/html"));
  assert.equal(c.errorPages, join(dir, "error"));
  assert.equal(c.accessLog, join(dir, "logs/access.log"));
  assert.equal(c.statusEnabled, true);
  assert.deepEqual(c.statusAllow, ["127.0.0.1", "::1"]);
  assert.deepEqual(c.memcached, [{ host: "127.0.0.1", port: 11211 }]);
  assert.deepEqual(c.cacheControl, [{ pattern: "*.css", value: "public, max-age=3600" }]);
  // Everything else ships at its default value.
  const shipped = { statusEnabled: true, memcached: c.memcached, cacheControl: c.cacheControl };
  assert.deepEqual(c, { ...defaultConfig(dir, 2), ...shipped, file });
});
