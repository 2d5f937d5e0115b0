/**
 * The FileSystem port over the operating system; with folder_write.ts (writes), node_file.ts
 * (open descriptors) and posix.ts (descriptor-relative libc calls), the only code that opens
 * files.
 *
 * What it guarantees, whatever is swapped on disk between two calls (README "Security notes"):
 * - Paths resolve beneath the root (openat2 RESOLVE_BENEATH, posix.ts): a symlink leading out of
 *   it is refused (403), one staying inside is followed.
 * - Opening never blocks: files are opened O_NONBLOCK, so a FIFO or a device answers at once,
 *   and only a regular file is read (403 otherwise).
 * - The bytes read come from the file found beneath the root: the opened descriptor's device
 *   and inode must be those of the file resolved beneath the root ("changed" otherwise), and
 *   its size, mtime and inode those the response was planned for.
 * - Writes go through no symlinked folder; the temporary file is created, renamed and removed
 *   relative to a descriptor of that folder; precondition check and rename run under an
 *   exclusive flock of the folder.
 * - The server's own files (own_files.ts) are refused by path and by identity.
 *
 * Descriptors that live across an await are node:fs ones, which Deno owns and closes when a
 * worker is terminated; raw ones (posix.ts) are closed before the next await, except a write's
 * folder descriptor.
 * @module
 */

import * as nodeFs from "node:fs";
import { basename, dirname, join } from "node:path";
import { FolderWriter } from "./folder_write.ts";
import {
  type DirEntryInfo,
  type FileInfo,
  type FileSystem,
  type FileVersion,
  FsError,
  type OpenFile,
} from "./fs_port.ts";
import { closeQuietly, NodeOpenFile, readAt } from "./node_file.ts";
import { asFsError as wrap } from "./os_errors.ts";
import { Beneath, isFolder, isRegular, sameFile, type Stat } from "./posix.ts";

export { fsErrorKind } from "./os_errors.ts";

const { O_RDONLY, O_NONBLOCK, O_NOCTTY } = nodeFs.constants;

/** Bytes read at a time by openStream() unless the constructor is told otherwise. */
const DEFAULT_STREAM_CHUNK = 64 * 1024;

/** How long the identities of the server's own files are trusted before they are looked up again. */
const OWN_FILES_RECHECK_MS = 1000;

/** Options of a DenoFileSystem. */
export interface DenoFsOptions {
  /** Bytes per read for openStream() (config ReadChunkSize). */
  readonly chunkSize?: number;
  /** Absolute paths of the server's own files (config/own_files.ts), never served or written. */
  readonly ownFiles?: readonly string[];
}

/** A FileSystem rooted at `root`; see the module comment for what it guarantees. */
export class DenoFileSystem implements FileSystem {
  readonly #root: string;
  readonly #chunkSize: number;
  readonly #beneath: Beneath;
  readonly #own: OwnFiles;
  readonly #writer: FolderWriter;

  /**
   * @param root the document root, already resolved with realPath
   * @throws Error when the platform cannot confine paths (not Linux 5.6+, no --allow-ffi)
   */
  constructor(root: string, opts: DenoFsOptions = {}) {
    this.#root = root;
    this.#chunkSize = opts.chunkSize ?? DEFAULT_STREAM_CHUNK;
    this.#beneath = new Beneath(root);
    this.#own = new OwnFiles(opts.ownFiles ?? []);
    this.#writer = new FolderWriter(this.#beneath, (path, st) => this.#own.refuse(path, st));
  }

  stat(path: string): Promise<FileInfo> {
    try {
      return Promise.resolve(infoOf(this.#stat(path)));
    } catch (e) {
      return Promise.reject(wrap(e, path));
    }
  }

  open(path: string, expect?: FileVersion): OpenFile {
    return new NodeOpenFile(this.#openRead(path, expect).fd);
  }

  async readFile(path: string, expect?: FileVersion): Promise<Uint8Array> {
    const { fd, size } = this.#openRead(path, expect);
    try {
      const out = new Uint8Array(size);
      let off = 0;
      while (off < size) {
        const n = await readAt(fd, out.subarray(off), off);
        if (n === 0) break; // shrank since: the caller compares the length
        off += n;
      }
      return off === size ? out : out.subarray(0, off);
    } catch (e) {
      throw wrap(e, path);
    } finally {
      closeQuietly(fd);
    }
  }

  openStream(path: string): ReadableStream<Uint8Array> {
    let file: NodeOpenFile | null = null;
    const size = this.#chunkSize;
    const close = () => {
      file?.close();
      file = null;
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          file ??= new NodeOpenFile(this.#openRead(path).fd);
          const buf = new Uint8Array(size);
          const n = await file.read(buf);
          if (n === null) {
            close();
            controller.close();
          } else {
            controller.enqueue(n === size ? buf : buf.subarray(0, n));
          }
        } catch (e) {
          close();
          controller.error(wrap(e, path));
        }
      },
      cancel: close,
    });
  }

  readDir(path: string): Promise<DirEntryInfo[]> {
    let names: string[];
    try {
      this.#stat(path);
      names = this.#beneath.names(this.#rel(path));
    } catch (e) {
      return Promise.reject(wrap(e, path));
    }
    const out: DirEntryInfo[] = [];
    for (const name of names) {
      if (name.startsWith(".")) continue;
      let st: Stat;
      try {
        st = this.#stat(join(path, name)); // a symlink out of the root or an own file: left out
      } catch {
        continue;
      }
      if (!isRegular(st.mode) && !isFolder(st.mode)) continue;
      out.push({ name, isDir: isFolder(st.mode), size: st.size, mtimeMs: st.mtimeMs });
    }
    return Promise.resolve(out);
  }

  writeAtomic(
    path: string,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    try {
      return this.#writer.write(this.#target(path), body, beforeCommit);
    } catch (e) {
      return Promise.reject(wrap(e, path));
    }
  }

  remove(path: string, beforeCommit?: () => Promise<void>): Promise<void> {
    try {
      return this.#writer.remove(this.#target(path), beforeCommit);
    } catch (e) {
      return Promise.reject(wrap(e, path));
    }
  }

  /** statx beneath the root; the server's own files are refused. */
  #stat(path: string): Stat {
    const st = this.#beneath.stat(this.#rel(path));
    this.#own.refuse(path, st);
    return st;
  }

  /**
   * Open a file to read it: O_NONBLOCK (a FIFO or a device answers at once instead of
   * waiting), then prove the descriptor is the regular file resolved beneath the root.
   */
  #openRead(path: string, expect?: FileVersion): { fd: number; size: number } {
    this.#rel(path);
    let fd: number;
    try {
      fd = nodeFs.openSync(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    } catch (e) {
      throw wrap(e, path);
    }
    try {
      const opened = nodeFs.fstatSync(fd);
      if (!opened.isFile()) throw new FsError("denied", `${path} is not a regular file`);
      const found = this.#stat(path);
      if (!sameFile(found, opened)) {
        throw new FsError("changed", `${path} is not the file found inside the document root`);
      }
      if (expect !== undefined && !isVersion(found, expect)) {
        throw new FsError("changed", `${path} changed after it was planned`);
      }
      return { fd, size: found.size };
    } catch (e) {
      closeQuietly(fd);
      throw wrap(e, path);
    }
  }

  /** A path relative to the root ("." for the root); anything else is refused. */
  #rel(path: string): string {
    if (path !== this.#root && !path.startsWith(this.#root + "/")) {
      throw new FsError("denied", `${path} is outside the document root`);
    }
    const rel = path.slice(this.#root.length + 1).replace(/\/+$/, "");
    return rel === "" ? "." : rel;
  }

  /** The folder (relative to the root) and the name of a file to write. */
  #target(path: string): { path: string; folderRel: string; name: string } {
    this.#rel(path);
    this.#own.refuse(path, null);
    return { path, folderRel: this.#rel(dirname(path)), name: basename(path) };
  }
}

/**
 * The server's own files, recognised by path (the configured one and its real path) and by
 * identity (device and inode, looked up again every OWN_FILES_RECHECK_MS), so neither a hard
 * link nor a symlink inside the root reaches them.
 */
class OwnFiles {
  readonly #paths: string[];
  #ids: { dev: number; ino: number }[] = [];
  #checkedAt = -Infinity;

  constructor(paths: readonly string[]) {
    this.#paths = paths.flatMap((p) => {
      try {
        const real = Deno.realPathSync(p);
        return real === p ? [p] : [p, real];
      } catch {
        return [p];
      }
    });
  }

  /** Throw FsError("denied") when `path` or the file `st` is one of the server's own. */
  refuse(path: string, st: { dev: number; ino: number } | null): void {
    if (this.#paths.length === 0) return;
    const own = this.#paths.some((p) => path === p || path.startsWith(p + "/")) ||
      (st !== null && this.#identities().some((id) => sameFile(id, st)));
    if (own) throw new FsError("denied", `${path} is one of the server's own files`);
  }

  #identities(): { dev: number; ino: number }[] {
    const now = Date.now();
    if (now - this.#checkedAt < OWN_FILES_RECHECK_MS) return this.#ids;
    this.#checkedAt = now;
    this.#ids = this.#paths.flatMap((p) => {
      try {
        const st = Deno.statSync(p);
        return st.ino === null ? [] : [{ dev: st.dev, ino: st.ino }];
      } catch {
        return [];
      }
    });
    return this.#ids;
  }
}

function infoOf(st: Stat): FileInfo {
  return {
    isFile: isRegular(st.mode),
    isDirectory: isFolder(st.mode),
    size: st.size,
    mtimeMs: st.mtimeMs,
    dev: st.dev,
    ino: st.ino,
    mode: st.mode,
  };
}

function isVersion(st: Stat, v: FileVersion): boolean {
  return st.size === v.size && st.mtimeMs === v.mtimeMs &&
    (v.ino === undefined || v.ino === null || v.ino === st.ino);
}
