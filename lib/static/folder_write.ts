/**
 * Writes and removals inside the document root that a swapped path cannot redirect, and whose
 * precondition check and commit are atomic between writers:
 *
 * 1. The target's folder is opened beneath the root through no symlink (posix.ts folder()).
 * 2. The temporary file is created in that folder descriptor, O_CREAT|O_EXCL|O_NOFOLLOW, then
 *    reopened by path through node:fs for the body, and used only if it is the very file
 *    created (device and inode): a folder swapped in between leads nowhere.
 * 3. The commit takes an exclusive flock of the folder (Deno.FsFile.lock), checks the folder
 *    path still names the same folder, runs the caller's precondition check, and renames (or
 *    unlinks) relative to the folder descriptor. Every writer of the folder in every worker and
 *    every instance on the host takes the same lock, so of two writers with the same validator
 *    exactly one commits. Closing the handle releases the lock; Deno closes it when a worker
 *    dies, and the kernel when the process does.
 * 4. On any failure the temporary file is removed from the same folder descriptor.
 *
 * A write's folder descriptor is the one raw descriptor held across awaits (a worker
 * terminated mid-upload leaks it); everything else is closed before the next await.
 * @module
 */

import * as nodeFs from "node:fs";
import { dirname, join } from "node:path";
import { FsError } from "./fs_port.ts";
import { closeQuietly, fdatasync, writeAll } from "./node_file.ts";
import { asFsError } from "./os_errors.ts";
import {
  type Beneath,
  closeFd,
  createIn,
  renameIn,
  sameFile,
  type Stat,
  statAt,
  unlinkIn,
} from "./posix.ts";
import { uploadTempName } from "./upload_temp.ts";

const { O_WRONLY, O_NONBLOCK, O_NOCTTY, O_NOFOLLOW } = nodeFs.constants;

/** A file to write or remove: its absolute path, its folder relative to the root, its name. */
export interface WriteTarget {
  readonly path: string;
  readonly folderRel: string;
  readonly name: string;
}

/** Throws FsError("denied") when the path or the file is one of the server's own. */
export type OwnFileCheck = (path: string, st: Stat | null) => void;

/** Writes and removals under one root; see the module comment. */
export class FolderWriter {
  readonly #beneath: Beneath;
  readonly #refuseOwn: OwnFileCheck;

  constructor(beneath: Beneath, refuseOwn: OwnFileCheck) {
    this.#beneath = beneath;
    this.#refuseOwn = refuseOwn;
  }

  /**
   * FileSystem.writeAtomic(): the body to a temporary file, renamed over the target.
   * Errors of the body and of beforeCommit are rethrown as they are; others as FsError.
   */
  async write(
    t: WriteTarget,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    let dirFd: number;
    try {
      dirFd = this.#beneath.folder(t.folderRel);
    } catch (e) {
      throw asFsError(e, dirname(t.path));
    }
    const tmp = uploadTempName();
    let temp: Stat | null = null;
    let fd: number | null = null;
    const failure: { error?: unknown } = {};
    try {
      const folder = statAt(dirFd);
      temp = createIn(dirFd, tmp, 0o644);
      fd = reopenTemp(join(dirname(t.path), tmp), temp);
      for await (const chunk of guarded(body, failure)) await writeAll(fd, chunk);
      await fdatasync(fd);
      closeQuietly(fd);
      fd = null;
      await this.#locked(t, folder, async () => {
        await noted(beforeCommit, failure);
        closeFd(this.#checkFolder(t, folder));
        if (!sameFile(statAt(dirFd, tmp), temp!)) {
          throw new FsError("changed", `${t.path}: the temporary file was replaced`);
        }
        renameIn(dirFd, tmp, t.name);
      });
    } catch (e) {
      if (fd !== null) closeQuietly(fd);
      if (temp !== null) removeTemp(dirFd, tmp, temp);
      // The body's own error (client gone, bad chunk) and beforeCommit's go up unchanged so the
      // caller can answer them; file-system errors become FsError.
      throw "error" in failure && e === failure.error ? e : asFsError(e, t.path);
    } finally {
      closeFd(dirFd);
    }
  }

  /** FileSystem.remove(): unlink the target under the folder lock. */
  async remove(t: WriteTarget, beforeCommit?: () => Promise<void>): Promise<void> {
    const failure: { error?: unknown } = {};
    try {
      const probe = this.#beneath.folder(t.folderRel);
      let folder: Stat;
      try {
        folder = statAt(probe);
      } finally {
        closeFd(probe);
      }
      await this.#locked(t, folder, async () => {
        await noted(beforeCommit, failure);
        const dirFd = this.#checkFolder(t, folder);
        try {
          unlinkIn(dirFd, t.name);
        } finally {
          closeFd(dirFd);
        }
      });
    } catch (e) {
      throw "error" in failure && e === failure.error ? e : asFsError(e, t.path);
    }
  }

  /** Run `f` holding an exclusive flock of the target's folder (which must be `folder`). */
  async #locked(t: WriteTarget, folder: Stat, f: () => Promise<void>): Promise<void> {
    // The trailing "/" opens only a folder: a FIFO put in its place fails at once (ENOTDIR).
    const lock = await Deno.open(dirname(t.path) + "/", { read: true });
    try {
      await lock.lock(true);
      const st = lock.statSync();
      if (st.dev !== folder.dev || st.ino !== folder.ino) {
        throw new FsError("changed", `${dirname(t.path)} was replaced during the write`);
      }
      await f();
    } finally {
      lock.close();
    }
  }

  /**
   * Just before a commit: the folder path still names `folder`, and the target in it is not
   * one of the server's own files.
   * @returns a descriptor of the folder (the caller closes it before its next await)
   */
  #checkFolder(t: WriteTarget, folder: Stat): number {
    const fd = this.#beneath.folder(t.folderRel);
    try {
      if (!sameFile(statAt(fd), folder)) {
        throw new FsError("changed", `${dirname(t.path)} was replaced during the write`);
      }
      let target: Stat | null = null;
      try {
        target = statAt(fd, t.name);
      } catch { /* no such file yet */ }
      this.#refuseOwn(t.path, target);
      return fd;
    } catch (e) {
      closeFd(fd);
      throw e;
    }
  }
}

/**
 * Open the temporary file just created, by its path, through a descriptor Deno owns; it must
 * be the very file created in the checked folder (a folder swapped meanwhile leads elsewhere,
 * and nothing is written there).
 */
function reopenTemp(path: string, temp: Stat): number {
  const fd = nodeFs.openSync(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  try {
    if (!sameFile(nodeFs.fstatSync(fd), temp)) {
      throw new FsError("changed", `${dirname(path)} was replaced during the write`);
    }
    return fd;
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}

/** Remove our temporary file from its folder if it is still ours (never throws). */
function removeTemp(dirFd: number, name: string, temp: Stat): void {
  try {
    if (sameFile(statAt(dirFd, name), temp)) unlinkIn(dirFd, name);
  } catch { /* gone already */ }
}

/** Run beforeCommit, remembering an error it throws (rethrown unchanged, not as FsError). */
async function noted(
  beforeCommit: (() => Promise<void>) | undefined,
  failure: { error?: unknown },
): Promise<void> {
  if (beforeCommit === undefined) return;
  try {
    await beforeCommit();
  } catch (e) {
    failure.error = e;
    throw e;
  }
}

/** Iterate `body`, remembering an error it throws (to tell it from file-system errors). */
async function* guarded(
  body: AsyncIterable<Uint8Array>,
  failure: { error?: unknown },
): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await it.next();
    } catch (e) {
      failure.error = e;
      throw e;
    }
    if (r.done) return;
    yield r.value;
  }
}
