/**
 * How `systemctl reload` learns whether a reload worked. systemd runs `ExecReload=` and takes
 * its exit status as the reload's; with `ExecReload=kill -HUP $MAINPID` that status says only
 * that a signal was sent, and the command returns before the reload is done (systemd 252, in
 * Debian 12, has no `Type=notify-reload`). So the unit notes the time, sends SIGHUP, and runs
 * `httpserver --wait-reload TIME`, which waits for the server to write the outcome of a reload
 * begun at or after TIME into `$RUNTIME_DIRECTORY/reload-status.json`, prints it, and exits 0
 * or 1. (The server itself cannot send the signal: `Deno.kill` needs `--allow-run`, which the
 * service is not given.)
 * @module
 */

/** The outcome of one reload, as the server writes it. */
export interface ReloadStatus {
  /** The start (written once listening) or a reload. */
  readonly kind: "start" | "reload";
  readonly pid: number;
  /** When the reload began (epoch ms): after the signal that asked for it. */
  readonly startedMs: number;
  readonly ok: boolean;
  readonly message: string;
}

/** The file's name in the runtime folder. */
export const RELOAD_STATUS_FILE = "reload-status.json";
const POLL_MS = 50;

/** Parse the file's text; null when it is not a status (absent, partial, foreign). */
export function parseReloadStatus(text: string): ReloadStatus | null {
  try {
    const v = JSON.parse(text) as Partial<ReloadStatus>;
    if (
      (v.kind === "start" || v.kind === "reload") && typeof v.pid === "number" &&
      typeof v.startedMs === "number" && typeof v.ok === "boolean" && typeof v.message === "string"
    ) return { kind: v.kind, pid: v.pid, startedMs: v.startedMs, ok: v.ok, message: v.message };
  } catch { /* not JSON */ }
  return null;
}

/** Write the outcome atomically (a reader never sees half a file). Throws on failure. */
export function writeReloadStatus(dir: string, s: ReloadStatus): void {
  const path = `${dir}/${RELOAD_STATUS_FILE}`;
  Deno.writeTextFileSync(`${path}.tmp`, JSON.stringify(s) + "\n");
  Deno.renameSync(`${path}.tmp`, path);
}

function readReloadStatus(dir: string): ReloadStatus | null {
  try {
    return parseReloadStatus(Deno.readTextFileSync(`${dir}/${RELOAD_STATUS_FILE}`));
  } catch {
    return null;
  }
}

/** What `--wait-reload` needs. */
export interface ReloadWait {
  /** The server's runtime folder ($RUNTIME_DIRECTORY). */
  readonly dir: string;
  /** When the reload was asked for (epoch ms); an outcome of an older reload is not it. */
  readonly sinceMs: number;
  readonly timeoutMs: number;
}

/**
 * Wait for the outcome of a reload begun at or after `sinceMs`.
 * @returns whether the reload worked, and the server's message
 */
export async function waitForReload(r: ReloadWait): Promise<{ ok: boolean; message: string }> {
  if (r.dir === "") {
    return { ok: false, message: "RUNTIME_DIRECTORY is not set: no reload outcome to wait for" };
  }
  const until = Date.now() + r.timeoutMs;
  while (Date.now() < until) {
    const s = readReloadStatus(r.dir);
    if (s !== null && s.kind === "reload" && s.startedMs >= r.sinceMs) {
      return { ok: s.ok, message: s.message };
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
  return {
    ok: false,
    message: `no reload outcome in ${r.dir} within ${r.timeoutMs / 1000} s (see error.log)`,
  };
}
