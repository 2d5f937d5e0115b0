/**
 * Server configurations for the bench, pure text in and out: our http.conf with only the
 * address, folders and logs changed, and an nginx.conf that matches it.
 * @module
 */

/** Keys of http.conf the bench replaces, with their new values. */
export type ConfEdits = Readonly<Record<string, string>>;

/**
 * Replace the values of existing top-level keys of an http.conf text. Every key must occur
 * exactly once before the first `[section]`, so a renamed key fails loudly instead of being
 * silently left at its shipped value.
 * @param text http.conf contents
 * @param edits key -> new value
 * @param optional keys that may be absent (a setting an older revision's http.conf lacks)
 * @returns the new text, or an Error naming the key
 * @example
 * editConf("Listen = 0.0.0.0:8080\n", { Listen: "127.0.0.1:0" }); // "Listen = 127.0.0.1:0\n"
 */
export function editConf(
  text: string,
  edits: ConfEdits,
  optional: ReadonlySet<string> = new Set(),
): string | Error {
  const lines = text.split("\n");
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\s*\[/.test(line)) break;
    const m = /^(\s*)([A-Za-z][A-Za-z0-9]*)\s*=/.exec(line);
    const key = m?.[2];
    if (key === undefined || !(key in edits)) continue;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    lines[i] = `${m?.[1] ?? ""}${key} = ${edits[key]}`;
  }
  for (const key of Object.keys(edits)) {
    const n = seen.get(key) ?? 0;
    if (n === 0 && optional.has(key)) continue;
    if (n !== 1) return new Error(`Cannot edit http.conf: key "${key}" occurs ${n} times`);
  }
  return lines.join("\n");
}

/** Folders and switches of our server's bench config. */
export interface OursConf {
  /** Absolute document root. */
  readonly docRoot: string;
  /** Absolute folder for access.log and error.log. */
  readonly logDir: string;
  /** Absolute path of the repository's error-page folder (http.conf's relative "error"). */
  readonly errorPages: string;
  /** Sessions as shipped (true) or `Sessions = Off`. */
  readonly sessions: boolean;
  /** HTTPS on a free port with this certificate and key (null: none). */
  readonly tls: TlsFiles | null;
}

/** The bench's certificate and key (PEM files), served by every server's HTTPS listener. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * Our http.conf for the bench: the shipped text with Listen, DocumentRoot, AccessLog,
 * ErrorLog and ErrorPages (made absolute, since the copy lives in a temp folder) replaced;
 * MaxConnectionsPerClient at its maximum, since the bench's one address (wrk's 256
 * connections, the idle case's 10 000) stands for many clients, and nginx has no such limit;
 * `Sessions = Off` only for the "sessions off" variant; TLSListen, TLSCertificate and TLSKey
 * when it serves HTTPS too.
 * @param shipped the bundled http.conf text
 * @param o folders and switches
 * @returns config text or Error
 */
export function oursConf(shipped: string, o: OursConf): string | Error {
  const edits: Record<string, string> = {
    Listen: "127.0.0.1:0",
    DocumentRoot: o.docRoot,
    AccessLog: `${o.logDir}/access.log`,
    ErrorLog: `${o.logDir}/error.log`,
    ErrorPages: o.errorPages,
    MaxConnectionsPerClient: "1000000",
  };
  if (!o.sessions) edits["Sessions"] = "Off";
  if (o.tls !== null) {
    edits["TLSListen"] = "127.0.0.1:0";
    edits["TLSCertificate"] = o.tls.cert;
    edits["TLSKey"] = o.tls.key;
  }
  // An older revision (BENCH_REVS) has no per-client limit, and no key for it.
  return editConf(shipped, edits, new Set(["MaxConnectionsPerClient"]));
}

/** What the nginx config needs. */
export interface NginxConf {
  /** worker_processes: our worker count. */
  readonly workers: number;
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Absolute document root (the same folder ours serves). */
  readonly docRoot: string;
  /** Absolute folder for pid, logs and nginx's temp folders. */
  readonly dir: string;
  /** Add open_file_cache (the "nginx tuned" row). */
  readonly tuned: boolean;
  /** worker_connections: room for the idle case on one worker. */
  readonly workerConnections: number;
  /** An `ssl` listener on this port with the bench's certificate (null: none). */
  readonly tls: (TlsFiles & { readonly port: number }) | null;
}

/** keepalive_requests and keepalive_timeout matching http.conf's MaxKeepAliveRequests/KeepAliveTimeout. */
export const NGINX_KEEPALIVE = { requests: 1000, timeout: "15s" } as const;

/**
 * nginx.conf text: Debian-like defaults with sendfile on and a combined access log to a file,
 * and an `ssl` listener for the TLS cases.
 * @param o settings
 * @returns config text
 */
export function nginxConf(o: NginxConf): string {
  const tuned = o.tuned
    ? ["    open_file_cache max=1000 inactive=20s;", "    open_file_cache_valid 1s;"]
    : [];
  // No shared session cache: ours has none either (each worker's listener keeps its own).
  const tls = o.tls === null ? [] : [
    `        listen 127.0.0.1:${o.tls.port} ssl;`,
    `        ssl_certificate ${o.tls.cert};`,
    `        ssl_certificate_key ${o.tls.key};`,
    "        ssl_protocols TLSv1.2 TLSv1.3;",
  ];
  return [
    `worker_processes ${o.workers};`,
    "daemon off;",
    "master_process on;",
    `pid ${o.dir}/nginx.pid;`,
    `error_log ${o.dir}/error.log;`,
    `events { worker_connections ${o.workerConnections}; }`,
    "http {",
    "    types { text/html html; application/octet-stream bin; }",
    "    default_type application/octet-stream;",
    "    sendfile on;",
    "    server_tokens off;",
    `    access_log ${o.dir}/access.log combined;`,
    `    keepalive_requests ${NGINX_KEEPALIVE.requests};`,
    `    keepalive_timeout ${NGINX_KEEPALIVE.timeout};`,
    ...tuned,
    "    server {",
    `        listen 127.0.0.1:${o.port};`,
    ...tls,
    `        root ${o.docRoot};`,
    "    }",
    "}",
    "",
  ].join("\n");
}
