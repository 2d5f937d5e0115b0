/**
 * Typed messages between the main thread and the workers.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { InstanceView } from "../pages/status_page.ts";
import type { CounterBatch } from "../session/counters.ts";
import type { SessionStats } from "../session/manager.ts";

/** Bumped whenever a message shape changes, so a stale worker is refused. */
export const PROTOCOL_VERSION = 5;

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
  }
  | { readonly type: "stop"; readonly graceMs: number }
  /** Open the log files a worker writes itself again by name (rotation, a deleted file). */
  | { readonly type: "reopen-logs" }
  /** The answer to a worker's "status-request" (same seq). */
  | { readonly type: "status"; readonly seq: number; readonly instance: InstanceView };

/** Per-worker counters reported with each log batch. */
export interface WorkerStats {
  readonly connections: number;
  readonly requests: number;
  readonly bytes: number;
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
  | { readonly type: "stopped"; readonly id: number }
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
