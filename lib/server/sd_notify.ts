/**
 * systemd's notification protocol (sd_notify(3)) for a `Type=notify` service: newline-separated
 * `KEY=value` assignments in one datagram to the AF_UNIX socket named by `$NOTIFY_SOCKET`.
 *
 * Deno has no sd_notify, no FFI without `--allow-ffi`, and no unbound datagram sockets, but its
 * unstable `Deno.listenDatagram({ transport: "unixpacket" })` is an AF_UNIX SOCK_DGRAM socket:
 * bound to a throw-away path (unlinked at once; sending still works) it sends the datagrams,
 * and the kernel stamps them with this process's pid, which systemd's `NotifyAccess=main`
 * checks. Abstract socket names (`@...`) cannot be addressed through it; systemd itself uses
 * the path /run/systemd/notify.
 * @module
 */

/** The systemd environment of the process (read by main.ts). */
export interface SystemdEnv {
  /** `$NOTIFY_SOCKET`, or "" when not run by systemd as Type=notify. */
  readonly notifySocket: string;
  /** `$WATCHDOG_USEC` when `$WATCHDOG_PID` is absent or this process; else 0. */
  readonly watchdogUsec: number;
  /** A folder this process may create a socket file in (`$RUNTIME_DIRECTORY`, else /tmp). */
  readonly socketDir: string;
}

/** The assignments of one notification, in order (`READY=1`, `STATUS=...`). */
export type Assignments = ReadonlyArray<readonly [string, string]>;

/**
 * The datagram for a notification: `KEY=value` lines. Values are one line each (newlines in
 * a STATUS text would start a new assignment), so line breaks become spaces.
 */
export function formatNotification(a: Assignments): string {
  return a.map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, " ")}`).join("\n");
}

/** Sends notifications to systemd; every failure is reported once and otherwise ignored. */
export class SystemdNotifier {
  readonly #conn: Deno.DatagramConn;
  readonly #target: string;
  readonly #onError: (message: string) => void;
  #failed = false;

  private constructor(conn: Deno.DatagramConn, target: string, onError: (m: string) => void) {
    this.#conn = conn;
    this.#target = target;
    this.#onError = onError;
  }

  /**
   * A notifier for `env`, or null when there is nothing to notify (no `$NOTIFY_SOCKET`) or
   * the socket cannot be addressed (reported through `onError`).
   */
  static open(env: SystemdEnv, onError: (message: string) => void): SystemdNotifier | null {
    const target = env.notifySocket;
    if (target === "") return null;
    if (!target.startsWith("/")) {
      onError(
        `NOTIFY_SOCKET "${target}" is not a socket path (Deno cannot address abstract sockets): ` +
          "systemd will not hear READY=1; use Type=simple",
      );
      return null;
    }
    const own = `${env.socketDir}/notify-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.sock`;
    try {
      const conn = Deno.listenDatagram({ transport: "unixpacket", path: own });
      Deno.removeSync(own); // the bound socket keeps working without its name
      return new SystemdNotifier(conn, target, onError);
    } catch (e) {
      onError(`cannot create a socket to notify systemd in ${env.socketDir}: ${describe(e)}`);
      return null;
    }
  }

  /** Send one notification; resolves once sent (or failed, reported once). */
  async notify(a: Assignments): Promise<void> {
    try {
      await this.#conn.send(new TextEncoder().encode(formatNotification(a)), {
        transport: "unixpacket",
        path: this.#target,
      });
    } catch (e) {
      if (this.#failed) return;
      this.#failed = true;
      this.#onError(`cannot notify systemd through ${this.#target}: ${describe(e)}`);
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
