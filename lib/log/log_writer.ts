/**
 * The single appender of logs/, on the main thread: workers post batches of access lines and
 * error-log lines (formatted by the workers, in parallel, crit ones also for stderr); this
 * module writes them without ever blocking a request, and drains on close. The main thread's
 * own error records go through LogTape with the same Apache-style formatter.
 *
 * A log that cannot be written (a full disk) costs its lines, never a request: the server says
 * so (stderr, and error.log for the access log) and says again when writing works. A log file
 * deleted while open is noticed (its link count drops to 0) and created again by name.
 * SyncLogFile is the exception to "workers never write": with AccessLogFlush 0 a worker appends
 * its access lines itself, at once.
 * @module
 */

import { configure, dispose, getLogger, type Logger, type LogRecord } from "@logtape/logtape";
import { dirname } from "node:path";
import type { LogLevel } from "../config/config.ts";
import { concatBytes } from "../util/bytes.ts";
import { type ErrorRecord, formatErrorLine, LEVEL_RANK } from "./error_log.ts";

/** Where logs go. An empty path turns that log off. */
export interface LogTargets {
  readonly accessLog: string;
  readonly errorLog: string;
  readonly level: LogLevel;
  /** Also copy error-log lines at or above this level to stderr (null: never). */
  readonly stderrLevel: LogLevel | null;
}

const encoder = new TextEncoder();

/** Write text to stderr at once (journald picks it up). */
function toStderr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * Error-log records at or above this level are also copied to stderr: under systemd, what
 * `systemctl status` and the journal show ("memcached unreachable", "random session key"). A
 * worker's copies are bounded per batch (stderr_copy.ts).
 */
export const STDERR_LEVEL: LogLevel = "warn";

const TAPE_METHOD = {
  debug: "debug",
  info: "info",
  notice: "info",
  warn: "warn",
  error: "error",
  crit: "fatal",
} as const;

/** A log file that cannot be opened; `key` is the http.conf key naming it. */
export class LogOpenError extends Error {
  override name = "LogOpenError";
  constructor(readonly key: "AccessLog" | "ErrorLog", path: string, cause: unknown) {
    super(`cannot open "${path}": ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The files of both logs (null for a log that is Off). */
async function openTargets(
  t: LogTargets,
): Promise<{ access: LogFile | null; errors: LogFile | null }> {
  const access = t.accessLog === "" ? null : await openAppend("AccessLog", t.accessLog);
  try {
    return { access, errors: t.errorLog === "" ? null : await openAppend("ErrorLog", t.errorLog) };
  } catch (e) {
    access?.close();
    throw e;
  }
}

async function openAppend(key: "AccessLog" | "ErrorLog", path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { append: true, create: true, write: true });
  } catch (e) {
    throw new LogOpenError(key, path, e);
  }
}

/**
 * Why a log file could not be opened for appending, or null when it could: found out without
 * creating, truncating or writing it (`--check-config`). An existing file is opened for
 * appending and closed at once; a missing one needs a folder where a file can be created, which
 * is tried with a temporary file removed at once. A FIFO is not opened (that would wait for a
 * reader).
 */
export async function checkLogTarget(path: string): Promise<string | null> {
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return reason(e);
  }
  try {
    if (info !== null) {
      if (info.isDirectory) return "it is a folder";
      if (info.isFifo) return null;
      (await Deno.open(path, { write: true, append: true })).close();
      return null;
    }
    const folder = dirname(path);
    const probe = await Deno.makeTempFile({ dir: folder, prefix: ".httpserver-check-" });
    await Deno.remove(probe);
    return null;
  } catch (e) {
    return e instanceof Deno.errors.NotFound && info === null
      ? `the folder "${dirname(path)}" does not exist`
      : reason(e);
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The part of Deno.FsFile an appender uses (tests pass a failing one). */
export interface LogFile {
  write(p: Uint8Array): Promise<number>;
  close(): void;
  /** The open file's facts; `nlink` 0 means it was deleted. */
  stat?(): Promise<{ readonly nlink: number | null }>;
}

/** How an appender reports that its file cannot be written, and that it can again. */
export type AppenderReport = (level: "error" | "notice", message: string) => void;

/** A failing log is reported at most once per this interval (ms). */
export const REPORT_EVERY_MS = 60_000;
/** How often the main thread looks for a log file deleted while open (ms). */
export const DELETED_CHECK_MS = 1000;

/**
 * Buffered, ordered appender for one file: what is pushed while a write is in flight is joined
 * into the next write, so a burst of batches costs one write, and a lone batch is written at
 * once (nothing waits for a timer). `reopen()` swaps the file (log rotation) between batches,
 * so no line is split across the old file and the new one.
 */
export class Appender {
  #file: LogFile;
  readonly #name: string;
  readonly #report: AppenderReport;
  #reportedAt = -Infinity;
  /** Bytes of lines dropped since writing last failed (0: writing works). */
  #lost = 0;
  #queue: Uint8Array[] = [];
  #busy: Promise<void> | null = null;
  /** Files replaced by reopen() while a batch was being written to them. */
  #retired: LogFile[] = [];

  /** @param report where failures go (default: stderr, as error.log may be the failing file) */
  constructor(file: LogFile, name: string, report?: AppenderReport) {
    this.#file = file;
    this.#name = name;
    this.#report = report ?? ((_, message) => toStderr(`httpserver: ${message}\n`));
  }

  /** Whether the open file has been deleted (its link count is 0). */
  async deleted(): Promise<boolean> {
    try {
      return (await this.#file.stat?.())?.nlink === 0;
    } catch {
      return false;
    }
  }

  /** Queue whole lines, as text or bytes; written in order, batched while a write is in flight. */
  push(lines: string | Uint8Array): void {
    this.#queue.push(typeof lines === "string" ? encoder.encode(lines) : lines);
    this.#busy ??= this.#pump();
  }

  /**
   * Write to `file` from the next batch on, and close the current file once the batch being
   * written (if any) is done: after logrotate has renamed the old file, lines go to the new one.
   */
  reopen(file: LogFile): void {
    const old = this.#file;
    this.#file = file;
    this.#retired.push(old);
    if (this.#busy === null) this.#closeRetired();
  }

  async #pump(): Promise<void> {
    let batch: Uint8Array | null = null;
    let off = 0;
    try {
      while (this.#queue.length > 0) {
        const q = this.#queue;
        batch = q.length === 1 ? q[0]! : concatBytes(q);
        this.#queue = [];
        const file = this.#file; // one batch, one file, even if reopen() comes in between
        off = 0;
        while (off < batch.length) off += await file.write(batch.subarray(off));
        this.#closeRetired();
        if (this.#lost > 0) {
          this.#report("notice", `writing ${this.#name} again; ${this.#lost} bytes of lines lost`);
          this.#lost = 0;
          this.#reportedAt = -Infinity;
        }
      }
    } catch (e) {
      // A full or failing disk must not take the server down: drop what could not be written
      // and say so (once a minute at most).
      this.#lost += (batch?.length ?? 0) - off +
        this.#queue.reduce((n, b) => n + b.length, 0);
      this.#queue = [];
      const now = Date.now();
      if (now - this.#reportedAt >= REPORT_EVERY_MS) {
        this.#reportedAt = now;
        const why = e instanceof Error ? e.message : String(e);
        this.#report(
          "error",
          `cannot write ${this.#name}: ${why}; its lines are lost until it can be written again`,
        );
      }
    } finally {
      this.#busy = null;
      this.#closeRetired();
    }
  }

  #closeRetired(): void {
    for (const f of this.#retired.splice(0)) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
  }

  /** Wait for everything queued, then close the file. */
  async close(): Promise<void> {
    while (this.#busy !== null) await this.#busy;
    this.#file.close();
  }
}

/**
 * A log file appended to synchronously, by a worker, with AccessLogFlush 0: each access line
 * is in the file (the kernel's page cache) before its response's last byte is sent, so a
 * `kill -9` of the server loses none. Opened with O_APPEND, so each write lands whole at the
 * end of the file, whoever else appends (the other workers).
 */
export class SyncLogFile {
  #file: Deno.FsFile;
  readonly path: string;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Open (creating) `path` for appending; throws when it cannot be. */
  static open(path: string): SyncLogFile {
    return new SyncLogFile(path, Deno.openSync(path, { append: true, create: true, write: true }));
  }

  /** Append whole lines; throws when the file cannot be written (a full disk). */
  write(lines: Uint8Array): void {
    let off = 0;
    while (off < lines.length) off += this.#file.writeSync(lines.subarray(off));
  }

  /** Open the path again (log rotation); on failure the old file is kept and this throws. */
  reopen(): void {
    const next = Deno.openSync(this.path, { append: true, create: true, write: true });
    this.close();
    this.#file = next;
  }

  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }
}

/** The main thread's log sink. */
export class LogWriter {
  #access: Appender | null;
  #errors: Appender | null;
  readonly #logger: Logger;
  #targets: LogTargets;
  #closed = false;
  /** When recreating a deleted file last failed, by key (reported once a minute at most). */
  readonly #recreateFailedAt = new Map<string, number>();

  private constructor(access: Appender | null, errors: Appender | null, targets: LogTargets) {
    this.#access = access;
    this.#errors = errors;
    this.#targets = targets;
    this.#logger = getLogger(["httpserver"]);
  }

  /**
   * Open both logs (creating them), failing fast when a folder is missing or not writable.
   * @throws LogOpenError naming the key
   */
  static async open(t: LogTargets): Promise<LogWriter> {
    const files = await openTargets(t);
    let w: LogWriter | null = null;
    const access = files.access === null
      ? null
      : new Appender(files.access, t.accessLog, (l, m) => {
        if (w !== null) w.#accessTrouble(l, m);
      });
    w = new LogWriter(
      access,
      files.errors === null ? null : new Appender(files.errors, t.errorLog),
      t,
    );
    const writer = w;
    const pid = Deno.pid;
    // LogTape routes records by category and level; the sink formats them Apache-style and
    // hands them to the same batching appender as the access log (LogTape's own file sink
    // issued one write per line, a quarter of the main thread under a 404 storm).
    await configure({
      reset: true,
      sinks: {
        errorLog: (r: LogRecord) =>
          writer.#errors?.push(formatErrorLine(r.properties["record"] as ErrorRecord, pid) + "\n"),
      },
      loggers: [
        { category: ["httpserver"], sinks: ["errorLog"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
    return writer;
  }

  /**
   * Trouble with the access log (or its recovery) is said in error.log too, and on stderr for
   * journald.
   */
  #accessTrouble(level: "error" | "notice", message: string): void {
    toStderr(`httpserver: ${message}\n`);
    this.error({ timeMs: Date.now(), level, module: "core", message, tid: 0 });
  }

  /**
   * Open the files of `t` (a reload's new configuration) without using them yet: commit() then
   * switches to them between batches, as reopen() does; discard() closes them.
   * @throws LogOpenError naming the key, leaving the current files in use
   */
  async prepare(t: LogTargets): Promise<{ commit(): void; discard(): void }> {
    const files = await openTargets(t);
    return {
      commit: () => {
        this.#access = this.#switch(
          this.#access,
          files.access,
          t.accessLog,
          (l, m) => this.#accessTrouble(l, m),
        );
        this.#errors = this.#switch(this.#errors, files.errors, t.errorLog);
        this.#targets = t;
      },
      discard: () => {
        for (const f of [files.access, files.errors]) f?.close();
      },
    };
  }

  #switch(
    current: Appender | null,
    file: LogFile | null,
    name: string,
    report?: AppenderReport,
  ): Appender | null {
    if (current === null) return file === null ? null : new Appender(file, name, report);
    if (file === null) {
      void current.close(); // the log was turned off: finish what is queued, then close
      return null;
    }
    current.reopen(file);
    return current;
  }

  /** Append access-log lines (whole lines, each ending with "\n"). */
  access(lines: Uint8Array): void {
    this.#access?.push(lines);
  }

  /**
   * Append error-log lines formatted by a worker (whole lines, each ending with "\n"), and
   * copy `stderrText` (those of them at the stderr level) to stderr.
   */
  errorLines(lines: Uint8Array, stderrText = ""): void {
    this.#errors?.push(lines);
    if (stderrText !== "" && this.#targets.stderrLevel !== null) {
      toStderr(stderrText);
    }
  }

  /** Write an error record if its level is enabled. */
  error(r: ErrorRecord): void {
    if (LEVEL_RANK[r.level] < LEVEL_RANK[this.#targets.level]) return;
    this.#logger[TAPE_METHOD[r.level]]("{message}", { message: r.message, record: r });
    const s = this.#targets.stderrLevel;
    if (s !== null && LEVEL_RANK[r.level] >= LEVEL_RANK[s]) {
      toStderr(formatErrorLine(r, Deno.pid) + "\n");
    }
  }

  /** Whether a level would be written (lets callers skip building messages). */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#targets.level];
  }

  /**
   * Open both log files again by name and write to the new ones from the next batch on (after
   * logrotate renamed them; SIGUSR1). A file that cannot be opened keeps its old handle.
   * @returns the problems, one message per file that could not be reopened
   */
  async reopen(): Promise<string[]> {
    const problems: string[] = [];
    if (this.#closed) return problems; // a signal during shutdown: nothing to reopen
    const pairs = [
      ["AccessLog", this.#targets.accessLog, this.#access],
      ["ErrorLog", this.#targets.errorLog, this.#errors],
    ] as const;
    for (const [key, path, appender] of pairs) {
      if (appender === null) continue;
      try {
        appender.reopen(await openAppend(key, path));
      } catch (e) {
        problems.push(`${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return problems;
  }

  /**
   * Create again, by name, a log file that was deleted while open (its lines would go nowhere
   * anyone can read), and say so.
   * @returns the keys of the files created again
   */
  async recreateDeleted(): Promise<Array<"AccessLog" | "ErrorLog">> {
    const done: Array<"AccessLog" | "ErrorLog"> = [];
    if (this.#closed) return done;
    const pairs = [
      ["AccessLog", this.#targets.accessLog, this.#access],
      ["ErrorLog", this.#targets.errorLog, this.#errors],
    ] as const;
    const said: string[] = [];
    for (const [key, path, appender] of pairs) {
      if (appender === null || !(await appender.deleted())) continue;
      try {
        appender.reopen(await openAppend(key, path));
        done.push(key);
        said.push(`${key} "${path}" was deleted while open; writing to a new file by that name`);
      } catch (e) {
        const now = Date.now();
        if (now - (this.#recreateFailedAt.get(key) ?? -Infinity) >= REPORT_EVERY_MS) {
          this.#recreateFailedAt.set(key, now);
          toStderr(`httpserver: ${key} "${path}" was deleted and cannot be created: ${e}\n`);
        }
      }
    }
    // Said once both files are new, so that error.log's own line goes to its new file.
    for (const m of said) {
      toStderr(`httpserver: ${m}\n`);
      this.error({ timeMs: Date.now(), level: "warn", module: "core", message: m, tid: 0 });
    }
    return done;
  }

  /** Write everything queued and close the files. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#access?.close();
    await dispose();
    await this.#errors?.close();
  }
}
