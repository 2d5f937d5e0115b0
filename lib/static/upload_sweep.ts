/**
 * Removes the temporary files of uploads that never finished. A PUT or POST body is written to
 * a temporary file beside its target (upload_temp.ts) and renamed into place when complete; a
 * worker that dies
 * mid-upload (or a killed server) leaves that file behind. At start, and again after a worker
 * is replaced, the main thread walks the writable folders and removes such files once they are
 * older than any upload can still be running (twice RequestTimeout: a body must arrive within
 * RequestTimeout, so a live upload's file is always newer). Another instance sharing the
 * folder is safe for the same reason. Symlinked folders are not followed (writes never go
 * through them either).
 * @module
 */

import { join } from "node:path";
import { UPLOAD_TEMP } from "./upload_temp.ts";

export { UPLOAD_TEMP } from "./upload_temp.ts";

/** Most folders one sweep visits, so a huge tree cannot keep the main thread busy for long. */
const MAX_FOLDERS = 100_000;

/**
 * Remove orphaned upload files under `folders` (absolute, inside the document root).
 * @param olderThanMs only files whose mtime is at least this old are removed
 * @returns the paths removed (never rejects: unreadable folders are skipped)
 */
export async function sweepOrphanUploads(
  folders: readonly string[],
  olderThanMs: number,
  nowMs: number = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  const seen = new Set<string>();
  const queue = [...folders];
  while (queue.length > 0 && seen.size < MAX_FOLDERS) {
    const dir = queue.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    try {
      for await (const e of Deno.readDir(dir)) {
        const path = join(dir, e.name);
        if (e.isDirectory && !e.isSymlink) queue.push(path);
        else if (e.isFile && UPLOAD_TEMP.test(e.name)) {
          const st = await Deno.lstat(path).catch(() => null);
          const mtime = st?.mtime?.getTime() ?? nowMs;
          if (nowMs - mtime < olderThanMs) continue;
          try {
            await Deno.remove(path);
            removed.push(path);
          } catch { /* gone already, or not ours to remove */ }
        }
      }
    } catch { /* unreadable or gone: nothing to sweep there */ }
  }
  return removed;
}
