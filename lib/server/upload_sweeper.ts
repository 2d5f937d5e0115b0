/**
 * When to sweep for orphaned upload temp files (see static/upload_sweep.ts) in the folders
 * writes can reach: at start, after a reload, and once those cut short by a dying worker are
 * surely orphaned. Nothing to do when the server accepts no writes.
 * @module
 */

import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { sweepOrphanUploads } from "../static/upload_sweep.ts";

/** A sweeper for one configuration. */
export interface UploadSweeper {
  /** Sweep now. */
  now(): void;
  /** Sweep once the files of uploads cut short now are old enough to be swept. */
  later(): void;
  stop(): void;
}

/** @param note receives one line per sweep that removed something */
export function uploadSweeper(config: Config, note: (message: string) => void): UploadSweeper {
  const prefixes = [...(config.writeAccess ? config.writePaths : []), ...config.uploadPaths];
  const folders = prefixes.map((p) => join(config.documentRoot, p));
  const olderThanMs = 2 * config.requestTimeoutMs;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  const run = async () => {
    if (folders.length === 0 || running) return;
    running = true;
    try {
      const removed = await sweepOrphanUploads({ root: config.documentRoot, folders, olderThanMs });
      if (removed.length > 0) {
        note(
          `removed ${removed.length} unfinished upload file(s) left by an earlier crash, e.g. ` +
            removed[0],
        );
      }
    } finally {
      running = false;
    }
  };
  return {
    now: () => void run(),
    later() {
      if (timer === null && folders.length > 0) {
        timer = setTimeout(() => {
          timer = null;
          void run();
        }, olderThanMs);
      }
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
