/**
 * Removes the temporary files of uploads that never finished. A PUT or POST body is written to
 * a temporary file beside its target (upload_temp.ts) and renamed into place when complete; a
 * worker that dies mid-upload (or a killed server) leaves that file behind. At start, and again
 * after a worker is replaced, the main thread walks the writable folders and removes such files
 * once they are older than any upload can still be running (twice RequestTimeout: a body must
 * arrive within RequestTimeout, so a live upload's file is always newer). Another instance
 * sharing the folder is safe for the same reason.
 *
 * The walk goes through descriptors (posix.ts), as writes do: each folder is opened beneath the
 * document root through no symlink, listed and cleaned through that descriptor, so a folder
 * swapped for a symlink meanwhile cannot lead the sweep anywhere else.
 * @module
 */

import { join } from "node:path";
import {
  Beneath,
  closeFd,
  isFolder,
  isRegular,
  namesIn,
  type Stat,
  statAt,
  unlinkIn,
} from "./posix.ts";
import { UPLOAD_TEMP } from "./upload_temp.ts";

export { UPLOAD_TEMP } from "./upload_temp.ts";

/** Most folders one sweep visits, so a huge tree cannot keep the main thread busy for long. */
const MAX_FOLDERS = 100_000;
/** Folders visited between two yields to the event loop (the walk itself is synchronous). */
const FOLDERS_PER_TURN = 64;

/** What to sweep. */
export interface SweepOptions {
  /** The document root. */
  readonly root: string;
  /** Folders to walk (absolute, inside the root). */
  readonly folders: readonly string[];
  /** Only files whose mtime is at least this old are removed. */
  readonly olderThanMs: number;
  readonly nowMs?: number;
}

/**
 * Remove orphaned upload files under the folders.
 * @returns the paths removed (never rejects: unreadable folders are skipped)
 */
export async function sweepOrphanUploads(o: SweepOptions): Promise<string[]> {
  const nowMs = o.nowMs ?? Date.now();
  let beneath: Beneath;
  try {
    beneath = new Beneath(Deno.realPathSync(o.root));
  } catch {
    return []; // no root, or no way to confine the walk: leave everything alone
  }
  const removed: string[] = [];
  const queue = o.folders.flatMap((f) => {
    const rel = relativeTo(o.root, f) ?? relativeTo(beneath.root, f);
    return rel === null ? [] : [rel];
  });
  let visited = 0;
  const seen = new Set<string>();
  while (queue.length > 0 && visited < MAX_FOLDERS) {
    const rel = queue.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    visited++;
    sweepFolder(beneath, rel, { queue, removed, olderThanMs: o.olderThanMs, nowMs });
    if (visited % FOLDERS_PER_TURN === 0) await new Promise((r) => setTimeout(r, 0));
  }
  return removed;
}

/** List one folder through a descriptor: queue its subfolders, remove old temp files. */
function sweepFolder(
  beneath: Beneath,
  rel: string,
  w: { queue: string[]; removed: string[]; olderThanMs: number; nowMs: number },
): void {
  let fd: number;
  try {
    fd = beneath.folder(rel, true);
  } catch {
    return; // gone, unreadable, or reached through a symlink: nothing to sweep there
  }
  try {
    for (const name of namesIn(fd)) {
      let st: Stat;
      try {
        st = statAt(fd, name); // never follows a symlink
      } catch {
        continue;
      }
      const path = rel === "." ? name : `${rel}/${name}`;
      if (isFolder(st.mode)) w.queue.push(path);
      else if (isRegular(st.mode) && UPLOAD_TEMP.test(name)) {
        if (w.nowMs - st.mtimeMs < w.olderThanMs) continue;
        try {
          unlinkIn(fd, name);
          w.removed.push(join(beneath.root, path));
        } catch { /* gone already, or not ours to remove */ }
      }
    }
  } catch {
    /* unreadable: skip */
  } finally {
    closeFd(fd);
  }
}

/** `path` relative to `root` ("." for the root), or null when it is not inside. */
function relativeTo(root: string, path: string): string | null {
  const r = root.replace(/\/+$/, "");
  const p = path.replace(/\/+$/, "");
  if (p === r) return ".";
  if (!p.startsWith(r + "/")) return null;
  return p.slice(r.length + 1).replace(/\/+/g, "/");
}
