/**
 * Typed messages between the main thread and the workers.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { InstanceView } from "../pages/status_page.ts";
import type { CounterBatch } from "../session/counters.ts";
import type { SessionStats } from "../session/manager.ts";
import type { TlsMaterial } from "./tls_material.ts";

/** Bumped whenever a message shape changes, so a stale worker is refused. */
export const PROTOCOL_VERSION = 8;

/** What a worker needs to serve HTTPS. */
export interface TlsStart {
  /** The HTTPS port (already resolved when the config said 0). */
  readonly port: number;
  /** The pair to serve, or null while it has not arrived (TLSWaitForCertificate). */
  readonly material: TlsMaterial | null;
}

/** Main -> worker. */
export type ToWorker =
  | {
    readonly type: "start";
    readonly version: number;
    readonly id: number;
    readonly config: Config;
    /** The port to listen on (already resolved when the config said 0). */
    readonly port: number;
    /** Error page templates by status, loaded once by the main thread. */
    readonly templates: Readonly<Record<string, string>>;
    /** The session signing secret, resolved by the main thread (SessionKey, file or random). */
    readonly sessionKey: string;
    /** HTTPS (TLSListen), or null when it is off. */
    readonly tls: TlsStart | null;
    /** ACME challenge tokens being answered now -> their key authorizations (ACME On). */
    readonly acmeChallenges: Readonly<Record<string, string>>;
  }
  /**
   * Stop accepting, finish what is in flight within graceMs, then report "stopped". On
   * "shutdown" idle keep-alive connections are closed at once; on "reload" (a newer generation
   * already listens) they stay until their next request, answered with `Connection: close`,
   * or their KeepAliveTimeout, so no client request meets a connection closing under it.
   */
  | { readonly type: "stop"; readonly graceMs: number; readonly reason: StopReason }
  /** The heartbeat: answer with a "pong" of the same seq (see heartbeat.ts). */
  | { readonly type: "ping"; readonly seq: number }
  /** Serve this certificate from now on: open a listener with it, then close the old one. */
  | { readonly type: "tls"; readonly material: TlsMaterial }
  /** Answer an ACME challenge token from now on (null: stop answering it); acknowledge seq. */
  | {
    readonly type: "acme-challenge";
    readonly seq: number;
    readonly token: string;
    readonly keyAuthorization: string | null;
  }
  /** Open the log files a worker writes itself again by name (rotation, a deleted file). */
  | { readonly type: "reopen-logs" }
  /** The answer to a worker's "status-request" (same seq). */
  | { readonly type: "status"; readonly seq: number; readonly instance: InstanceView };

/** Why a worker is asked to stop. */
export type StopReason = "shutdown" | "reload";

/** Per-worker counters reported with each log batch. */
export interface WorkerStats {
  readonly connections: number;
  readonly requests: number;
  readonly bytes: number;
  /** Of those, over TLS (open connections, requests answered). */
  readonly tlsConnections: number;
  readonly tlsRequests: number;
}

/** Worker -> main. */
export type FromWorker =
  | { readonly type: "ready"; readonly id: number }
  | { readonly type: "listen-failed"; readonly id: number; readonly message: string }
  | {
    readonly type: "log";
    readonly id: number;
    /** Access-log lines as bytes, each ending in "\n" (null when none); transferred. */
    readonly access: Uint8Array<ArrayBuffer> | null;
    /**
     * Error-log lines, formatted and level-filtered, each ending in "\n", in order, as UTF-8
     * (null when none); transferred.
     */
    readonly errors: Uint8Array<ArrayBuffer> | null;
    /** Those of the error lines to copy to stderr too (crit). */
    readonly stderrText: string;
    readonly stats: WorkerStats;
  }
  /** The worker's listener is closed: no new connection reaches it ("stop" received). */
  | { readonly type: "closed"; readonly id: number }
  | { readonly type: "stopped"; readonly id: number }
  /** The worker opened (or failed to open) its HTTPS listener with a pair (start or "tls"). */
  | {
    readonly type: "tls";
    readonly id: number;
    readonly fingerprint: string;
    /** Why listenTls refused the pair; null when the listener serves it. */
    readonly error: string | null;
    /** Listening sockets given TCP_NODELAY, or why none could be (see libc.ts). */
    readonly noDelay: number | string;
  }
  /** The worker applied the "acme-challenge" message `seq`. */
  | { readonly type: "acme-challenge-ack"; readonly id: number; readonly seq: number }
  | { readonly type: "pong"; readonly id: number; readonly seq: number }
  /** Once a second: counters since the last report and cumulative session counts. */
  | {
    readonly type: "stats";
    readonly id: number;
    readonly stats: WorkerStats;
    readonly counters: CounterBatch | null;
    readonly sessions: SessionStats | null;
  }
  /** A worker serving the status page asks for the instance-wide view. */
  | { readonly type: "status-request"; readonly id: number; readonly seq: number }
  /** The shared store went down or came back, as this worker saw it. */
  | {
    readonly type: "store";
    readonly id: number;
    readonly state: "up" | "down";
    readonly atStart: boolean;
    readonly detail: string;
    readonly servers: string;
  };
