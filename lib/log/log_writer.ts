/**
 * The single appender of logs/, on the main thread: workers post batches of access lines and
 * error-log lines (formatted by the workers, in parallel, crit ones also for stderr); this
 * module writes them without ever blocking a request, and drains on close. The main thread's
 * own error records go through LogTape with the same Apache-style formatter.
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
}

/**
 * Buffered, ordered appender for one file: what is pushed while a write is in flight is joined
 * into the next write, so a burst of batches costs one write, and a lone batch is written at
 * once (nothing waits for a timer). `reopen()` swaps the file (log rotation) between batches,
 * so no line is split across the old file and the new one.
 */
export class Appender {
  #file: LogFile;
  readonly #name: string;
  #reportedAt = -Infinity;
  #queue: Uint8Array[] = [];
  #busy: Promise<void> | null = null;
  /** Files replaced by reopen() while a batch was being written to them. */
  #retired: LogFile[] = [];

  constructor(file: LogFile, name: string) {
    this.#file = file;
    this.#name = name;
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
    try {
      while (this.#queue.length > 0) {
        const q = this.#queue;
        const batch = q.length === 1 ? q[0]! : concatBytes(q);
        this.#queue = [];
        const file = this.#file; // one batch, one file, even if reopen() comes in between
        let off = 0;
        while (off < batch.length) off += await file.write(batch.subarray(off));
        this.#closeRetired();
      }
    } catch (e) {
      // A full or failing disk must not take the server down: drop what could not be written
      // and say so on stderr (once a minute at most; error.log may be the file that fails).
      this.#queue = [];
      const now = Date.now();
      if (now - this.#reportedAt >= 60_000) {
        this.#reportedAt = now;
        const why = e instanceof Error ? e.message : String(e);
        toStderr(`httpserver: cannot write ${this.#name}: ${why}\n`);
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

/** The main thread's log sink. */
export class LogWriter {
  #access: Appender | null;
  #errors: Appender | null;
  readonly #logger: Logger;
  #targets: LogTargets;
  #closed = false;

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
    const w = new LogWriter(
      files.access === null ? null : new Appender(files.access, t.accessLog),
      files.errors === null ? null : new Appender(files.errors, t.errorLog),
      t,
    );
    const pid = Deno.pid;
    // LogTape routes records by category and level; the sink formats them Apache-style and
    // hands them to the same batching appender as the access log (LogTape's own file sink
    // issued one write per line, a quarter of the main thread under a 404 storm).
    await configure({
      reset: true,
      sinks: {
        errorLog: (r: LogRecord) =>
          w.#errors?.push(formatErrorLine(r.properties["record"] as ErrorRecord, pid) + "\n"),
      },
      loggers: [
        { category: ["httpserver"], sinks: ["errorLog"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
    return w;
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
        this.#access = this.#switch(this.#access, files.access, t.accessLog);
        this.#errors = this.#switch(this.#errors, files.errors, t.errorLog);
        this.#targets = t;
      },
      discard: () => {
        for (const f of [files.access, files.errors]) f?.close();
      },
    };
  }

  #switch(current: Appender | null, file: LogFile | null, name: string): Appender | null {
    if (current === null) return file === null ? null : new Appender(file, name);
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

  /** Write everything queued and close the files. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#access?.close();
    await dispose();
    await this.#errors?.close();
  }
}
