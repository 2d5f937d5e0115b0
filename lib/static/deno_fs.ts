/**
 * The FileSystem port over Deno's file APIs: the only module in static/ that calls Deno.*.
 * @module
 */

import { dirname, join } from "node:path";
import {
  type DirEntryInfo,
  type FileInfo,
  type FileSystem,
  type FileVersion,
  FsError,
  type FsErrorKind,
  type OpenFile,
} from "./fs_port.ts";
import { uploadTempName } from "./upload_temp.ts";

/** Map a Deno error to an FsError kind (nginx: ENOENT/ENOTDIR/ENAMETOOLONG -> 404, EACCES/ELOOP -> 403). */
export function fsErrorKind(e: unknown): FsErrorKind {
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return "not-found";
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.FilesystemLoop) {
    return "denied";
  }
  if (e instanceof Deno.errors.AlreadyExists) return "exists";
  if (e instanceof Deno.errors.IsADirectory) return "is-directory";
  const code = (e as { code?: string }).code;
  if (code === "ENAMETOOLONG") return "not-found";
  if (code === "ENOTEMPTY") return "not-empty";
  if (code === "ENOSPC" || code === "EDQUOT") return "no-space";
  return "other";
}

function wrap(e: unknown): FsError {
  if (e instanceof FsError) return e;
  return new FsError(fsErrorKind(e), e instanceof Error ? e.message : String(e));
}

/** Bytes read at a time by openStream() unless the constructor is told otherwise. */
const DEFAULT_STREAM_CHUNK = 64 * 1024;

/** A FileSystem rooted at `root`; symlinks whose target leaves the root are refused. */
export class DenoFileSystem implements FileSystem {
  readonly #root: string;
  readonly #chunkSize: number;

  /**
   * @param root the document root, already resolved with realPath
   * @param opts `chunkSize`: bytes per read for openStream() (config ReadChunkSize)
   */
  constructor(root: string, opts: { readonly chunkSize?: number } = {}) {
    this.#root = root;
    this.#chunkSize = opts.chunkSize ?? DEFAULT_STREAM_CHUNK;
  }

  async stat(path: string): Promise<FileInfo> {
    try {
      const [st, real] = await Promise.all([Deno.stat(path), Deno.realPath(path)]);
      if (real !== this.#root && !real.startsWith(this.#root + "/")) {
        throw new FsError("denied", "symlink leads outside the document root");
      }
      return {
        isFile: st.isFile,
        isDirectory: st.isDirectory,
        size: st.size,
        mtimeMs: st.mtime?.getTime() ?? 0,
        ino: st.ino,
        mode: st.mode,
      };
    } catch (e) {
      throw wrap(e);
    }
  }

  open(path: string, expect?: FileVersion): OpenFile {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      throw wrap(e);
    }
    try {
      const st = file.statSync();
      if (!st.isFile) throw new FsError("denied", `${path} is not a regular file`);
      if (
        expect !== undefined &&
        (st.size !== expect.size || (st.mtime?.getTime() ?? 0) !== expect.mtimeMs)
      ) {
        throw new FsError("changed", `${path} changed after it was planned`);
      }
    } catch (e) {
      file.close();
      throw wrap(e);
    }
    return new DenoOpenFile(file);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await Deno.readFile(path);
    } catch (e) {
      throw wrap(e);
    }
  }

  openStream(path: string): ReadableStream<Uint8Array> {
    let file: Deno.FsFile | null = null;
    const size = this.#chunkSize;
    const close = () => {
      try {
        file?.close();
      } catch { /* already closed */ }
      file = null;
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          file ??= await Deno.open(path, { read: true });
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
          controller.error(wrap(e));
        }
      },
      cancel: close,
    });
  }

  /**
   * Writes follow no symlinked folder: WritePaths and UploadPaths are checked on the URL path,
   * so a symlink under a writable prefix could otherwise lead writes anywhere in the root.
   */
  async #noSymlinkedFolder(path: string): Promise<void> {
    const folder = dirname(path);
    let real: string;
    try {
      real = await Deno.realPath(folder);
    } catch (e) {
      throw wrap(e);
    }
    if (real !== folder) throw new FsError("denied", `${folder} is reached through a symlink`);
  }

  async readDir(path: string): Promise<DirEntryInfo[]> {
    const out: DirEntryInfo[] = [];
    try {
      for await (const e of Deno.readDir(path)) {
        if (e.name.startsWith(".")) continue;
        const st = await Deno.stat(join(path, e.name)).catch(() => null);
        if (st === null) continue;
        out.push({
          name: e.name,
          isDir: st.isDirectory,
          size: st.size,
          mtimeMs: st.mtime?.getTime() ?? 0,
        });
      }
    } catch (e) {
      throw wrap(e);
    }
    return out;
  }

  async writeAtomic(
    path: string,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    await this.#noSymlinkedFolder(path);
    const tmp = join(dirname(path), uploadTempName());
    let file: Deno.FsFile | null = null;
    const bodyFailure: { error?: unknown } = {};
    try {
      file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
      for await (const chunk of guarded(body, bodyFailure)) await writeAll(file, chunk);
      await file.syncData();
      file.close();
      file = null;
      if (beforeCommit !== undefined) {
        try {
          await beforeCommit();
        } catch (e) {
          bodyFailure.error = e; // not a file-system error: rethrown unchanged below
          throw e;
        }
      }
      await Deno.rename(tmp, path);
    } catch (e) {
      try {
        file?.close();
      } catch { /* already closed */ }
      await Deno.remove(tmp).catch(() => {});
      // The body's own error (client gone, bad chunk) goes up unchanged so the connection can
      // answer it; file-system errors become FsError.
      throw "error" in bodyFailure && e === bodyFailure.error ? e : wrap(e);
    }
  }

  async remove(path: string): Promise<void> {
    await this.#noSymlinkedFolder(path);
    try {
      await Deno.remove(path);
    } catch (e) {
      throw wrap(e);
    }
  }
}

/** An opened file, read from its current position. */
class DenoOpenFile implements OpenFile {
  readonly #file: Deno.FsFile;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#file.read(p);
  }

  readSync(p: Uint8Array): number | null {
    return this.#file.readSync(p);
  }

  seek(offset: number): void {
    this.#file.seekSync(offset, Deno.SeekMode.Start);
  }

  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
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

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}
