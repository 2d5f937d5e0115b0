/**
 * Typed messages between the main thread and the workers.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { ErrorRecord } from "../log/error_log.ts";

/** Bumped whenever a message shape changes, so a stale worker is refused. */
export const PROTOCOL_VERSION = 1;

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
  }
  | { readonly type: "stop"; readonly graceMs: number };

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
    /** Access-log lines, each ending in "\n" ("" when none). */
    readonly access: string;
    readonly errors: readonly ErrorRecord[];
    readonly stats: WorkerStats;
  }
  | { readonly type: "stopped"; readonly id: number };
