/**
 * What the server tells its service manager: systemd's notifications (sd_notify.ts: READY,
 * RELOADING, STOPPING, STATUS, WATCHDOG) and the outcome of each reload for `--wait-reload`
 * (reload_status.ts). Without systemd every call is a no-op.
 * @module
 */

import { writeReloadStatus } from "./reload_status.ts";
import { type Assignments, type SystemdEnv, SystemdNotifier } from "./sd_notify.ts";

/** What the service manager needs from the server. */
export interface ServiceManagerOptions {
  readonly systemd: SystemdEnv;
  /** Where reload outcomes are written ("" = nowhere). */
  readonly runtimeDir: string;
  /** A problem worth an error.log line. */
  log(level: "warn" | "error", message: string): void;
}

/** The server's side of the conversation with systemd. */
export class ServiceManager {
  readonly #o: ServiceManagerOptions;
  readonly #notifier: SystemdNotifier | null;
  #watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(o: ServiceManagerOptions) {
    this.#o = o;
    this.#notifier = SystemdNotifier.open(o.systemd, (m) => o.log("warn", m));
  }

  #notify(a: Assignments): Promise<void> {
    return this.#notifier?.notify(a) ?? Promise.resolve();
  }

  /** Every worker listens. */
  async ready(status: string): Promise<void> {
    await this.#notify([["READY", "1"], ["STATUS", status]]);
    this.#writeOutcome("start", Date.now(), true, status);
  }

  /** A reload begins (systemd >= 253 matches it to its request by MONOTONIC_USEC). */
  async reloading(): Promise<void> {
    const a: Array<[string, string]> = [["RELOADING", "1"], ["STATUS", "reloading"]];
    const usec = monotonicUsec();
    if (usec !== null) a.push(["MONOTONIC_USEC", String(usec)]);
    await this.#notify(a);
  }

  /** A reload begun at `startedMs` ended, well or not: serving again either way. */
  async reloaded(startedMs: number, ok: boolean, message: string): Promise<void> {
    await this.#notify([["READY", "1"], ["STATUS", message]]);
    this.#writeOutcome("reload", startedMs, ok, message);
  }

  async stopping(status: string): Promise<void> {
    this.#stopWatchdog();
    await this.#notify([["STOPPING", "1"], ["STATUS", status]]);
  }

  /**
   * Feed systemd's watchdog (`WatchdogSec=`): WATCHDOG=1 four times per period while
   * `healthy()` (every worker answers its heartbeat), a STATUS line when that changes. A main
   * thread that hangs, or workers that stop answering, let the watchdog fire.
   */
  watch(healthy: () => boolean, serving: () => string): void {
    const usec = this.#o.systemd.watchdogUsec;
    if (this.#notifier === null || usec <= 0) return;
    let was = true;
    const beat = () => {
      const now = healthy();
      if (now) {
        void this.#notify(was ? [["WATCHDOG", "1"]] : [["WATCHDOG", "1"], ["STATUS", serving()]]);
      } else if (was) {
        void this.#notify([["STATUS", "a worker is not answering its heartbeat"]]);
      }
      was = now;
    };
    this.#watchdog = setInterval(beat, Math.max(1, Math.floor(usec / 4000)));
    beat();
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  close(): void {
    this.#stopWatchdog();
    this.#notifier?.close();
  }

  #writeOutcome(kind: "start" | "reload", startedMs: number, ok: boolean, message: string) {
    const dir = this.#o.runtimeDir;
    if (dir === "") return;
    try {
      writeReloadStatus(dir, { kind, pid: Deno.pid, startedMs, ok, message });
    } catch (e) {
      this.#o.log("error", `cannot write the reload outcome in ${dir}: ${describe(e)}`);
    }
  }
}

/**
 * CLOCK_MONOTONIC in microseconds as near as Deno lets us: /proc/uptime needs --allow-all, so
 * Deno.osUptime() (whole seconds of CLOCK_BOOTTIME, which equals CLOCK_MONOTONIC on a machine
 * that never suspended) plus one second: never earlier than now, at most a second later.
 */
function monotonicUsec(): number | null {
  try {
    return (Deno.osUptime() + 1) * 1_000_000;
  } catch {
    return null;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
