/**
 * An in-memory FileSystem for tests, with fault injection: make any call fail for a path, or
 * make writeAtomic fail after some bytes of the body. Writes go through a visible temporary
 * entry named as deno_fs.ts names them (upload_temp.ts), so tests can check none is left behind.
 * @module
 */

import { dirname, posix } from "node:path";
import { concatBytes } from "../util/bytes.ts";
import {
  type DirEntryInfo,
  type FileInfo,
  type FileSystem,
  type FileVersion,
  FsError,
  type OpenFile,
} from "./fs_port.ts";
import { uploadTempName } from "./upload_temp.ts";

/** The calls a fault can target. */
export type FsOp =
  | "stat"
  | "open"
  | "readFile"
  | "openStream"
  | "readDir"
  | "writeAtomic"
  | "remove";

/** A planned failure. */
export interface Fault {
  readonly op: FsOp;
  /** Only this path (absolute); all paths when absent. */
  readonly path?: string;
  /** What the call throws (an FsError, or any error to simulate a bug). */
  readonly error: Error;
  /** writeAtomic only: fail once this many body bytes have been written. */
  readonly afterBytes?: number;
  /** Fail only the first matching call. */
  readonly once?: boolean;
}

interface Entry {
  data: Uint8Array | null; // null for a folder
  mtimeMs: number;
  mode: number;
  ino: number;
}

/** Options for a file added by a test. */
export interface FileOptions {
  readonly mtimeMs?: number;
  readonly mode?: number;
}

const encoder = new TextEncoder();

function isVersion(e: Entry, v: FileVersion): boolean {
  return e.data !== null && v.size === e.data.length && v.mtimeMs === e.mtimeMs &&
    (v.ino === undefined || v.ino === null || v.ino === e.ino);
}
const START_MS = Date.UTC(2024, 0, 1);

/** A FileSystem over a Map of absolute paths. Folders are created implicitly by file(). */
export class MemoryFileSystem implements FileSystem {
  readonly #entries = new Map<string, Entry>();
  readonly #faults: Fault[] = [];
  #clock = START_MS;
  #ino = 1;
  /** Every call as "op path", in order. */
  readonly calls: string[] = [];
  /** Bytes per chunk of openStream(). */
  streamChunk = 4;

  constructor() {
    this.#entries.set("/", this.#entry(null, {}));
  }

  /** Add or replace a file (its folders are created). */
  file(path: string, data: string | Uint8Array, opts: FileOptions = {}): this {
    const p = posix.normalize(path);
    this.dir(dirname(p));
    const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
    this.#entries.set(p, this.#entry(bytes, opts));
    return this;
  }

  /** Add a folder and its parents. */
  dir(path: string): this {
    const p = posix.normalize(path);
    if (p !== "/" && !this.#entries.has(p)) {
      this.dir(dirname(p));
      this.#entries.set(p, this.#entry(null, {}));
    }
    return this;
  }

  /** Plan a failure. */
  fail(fault: Fault): this {
    this.#faults.push(fault);
    return this;
  }

  /** A file's bytes, or undefined when there is no such file. */
  contents(path: string): Uint8Array | undefined {
    return this.#entries.get(posix.normalize(path))?.data ?? undefined;
  }

  /** A file's text, or undefined. */
  text(path: string): string | undefined {
    const data = this.contents(path);
    return data === undefined ? undefined : new TextDecoder().decode(data);
  }

  /** Every path held, sorted (folders included). */
  paths(): string[] {
    return [...this.#entries.keys()].sort();
  }

  stat(path: string): Promise<FileInfo> {
    return this.#call("stat", path, (e) => ({
      isFile: e.data !== null,
      isDirectory: e.data === null,
      size: e.data?.length ?? 4096,
      mtimeMs: e.mtimeMs,
      dev: 1,
      ino: e.ino,
      mode: e.mode,
    }));
  }

  open(path: string, expect?: FileVersion): OpenFile {
    const p = posix.normalize(path);
    this.calls.push(`open ${p}`);
    const fault = this.#fault("open", p);
    if (fault !== null) throw fault.error;
    const e = this.#entries.get(p);
    if (e === undefined) throw new FsError("not-found", `no such file: ${p}`);
    if (e.data === null) throw new FsError("denied", `${p} is not a regular file`);
    if (expect !== undefined && !isVersion(e, expect)) {
      throw new FsError("changed", `${p} changed after it was planned`);
    }
    const data = e.data;
    let at = 0;
    const readSync = (b: Uint8Array) => {
      if (at >= data.length) return null;
      const n = Math.min(b.length, data.length - at);
      b.set(data.subarray(at, at + n));
      at += n;
      return n;
    };
    const close = () => {};
    return {
      read: (b) => Promise.resolve(readSync(b)),
      readSync,
      seek: (offset) => void (at = offset),
      close,
      [Symbol.dispose]: close,
    };
  }

  readFile(path: string, expect?: FileVersion): Promise<Uint8Array> {
    return this.#call("readFile", path, (e) => {
      if (e.data === null) throw new FsError("denied", `${path} is not a regular file`);
      if (expect !== undefined && !isVersion(e, expect)) {
        throw new FsError("changed", `${path} changed after it was planned`);
      }
      return e.data.slice();
    });
  }

  openStream(path: string): ReadableStream<Uint8Array> {
    let data: Uint8Array | null = null;
    let off = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          data ??= await this.readFile(path);
        } catch (e) {
          controller.error(e);
          return;
        }
        if (off >= data.length) return controller.close();
        controller.enqueue(data.slice(off, off + this.streamChunk));
        off += this.streamChunk;
      },
    });
  }

  readDir(path: string): Promise<DirEntryInfo[]> {
    return this.#call("readDir", path, (e, p) => {
      if (e.data !== null) throw new FsError("not-found", `${path} is not a folder`);
      const out: DirEntryInfo[] = [];
      for (const [q, c] of this.#entries) {
        const name = q.slice(p === "/" ? 1 : p.length + 1);
        if (q === p || dirname(q) !== p || name.startsWith(".")) continue;
        out.push({
          name,
          isDir: c.data === null,
          size: c.data?.length ?? 4096,
          mtimeMs: c.mtimeMs,
        });
      }
      return out;
    });
  }

  async writeAtomic(
    path: string,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    const p = posix.normalize(path);
    this.calls.push(`writeAtomic ${p}`);
    const fault = this.#fault("writeAtomic", p);
    if (fault !== null && fault.afterBytes === undefined) throw fault.error;
    const parent = this.#entries.get(dirname(p));
    if (parent === undefined || parent.data !== null) {
      throw new FsError("not-found", `no folder ${dirname(p)}`);
    }
    if (this.#entries.get(p)?.data === null) throw new FsError("is-directory", `${p} is a folder`);
    const tmp = posix.join(dirname(p), uploadTempName());
    this.#entries.set(tmp, this.#entry(new Uint8Array(0), {}));
    try {
      const data = await this.#collect(body, tmp, fault);
      if (beforeCommit !== undefined) await beforeCommit();
      this.#entries.delete(tmp);
      this.#entries.set(p, this.#entry(data, {}));
    } catch (e) {
      this.#entries.delete(tmp);
      throw e;
    }
  }

  async remove(path: string, beforeCommit?: () => Promise<void>): Promise<void> {
    await this.#call("remove", path, () => {});
    if (beforeCommit !== undefined) await beforeCommit();
    const p = posix.normalize(path).replace(/(.)\/$/, "$1");
    const e = this.#entries.get(p);
    if (e === undefined) throw new FsError("not-found", `no such file: ${p}`);
    if (e.data === null && [...this.#entries.keys()].some((q) => dirname(q) === p && q !== p)) {
      throw new FsError("not-empty", `${p} is not empty`);
    }
    this.#entries.delete(p);
  }

  async #collect(body: AsyncIterable<Uint8Array>, tmp: string, fault: Fault | null) {
    let data = new Uint8Array(0);
    for await (const chunk of body) {
      data = concatBytes([data, chunk]);
      this.#entries.get(tmp)!.data = data;
      if (fault?.afterBytes !== undefined && data.length >= fault.afterBytes) throw fault.error;
      await Promise.resolve(); // let other tasks run, as real writes do
    }
    return data;
  }

  #entry(data: Uint8Array | null, opts: FileOptions): Entry {
    this.#clock += 1000;
    const mode = opts.mode ?? (data === null ? 0o755 : 0o644);
    return { data, mtimeMs: opts.mtimeMs ?? this.#clock, mode, ino: this.#ino++ };
  }

  #fault(op: FsOp, path: string): Fault | null {
    const i = this.#faults.findIndex((f) => f.op === op && (f.path ?? path) === path);
    if (i < 0) return null;
    const f = this.#faults[i]!;
    if (f.once) this.#faults.splice(i, 1);
    return f;
  }

  /** Run a call: record it, apply faults, resolve the entry (a file as a parent is ENOTDIR). */
  async #call<T>(op: FsOp, path: string, f: (e: Entry, p: string) => T): Promise<T> {
    const p = posix.normalize(path).replace(/(.)\/$/, "$1");
    this.calls.push(`${op} ${p}`);
    await Promise.resolve();
    const fault = this.#fault(op, p);
    if (fault !== null) throw fault.error;
    const e = this.#entries.get(p);
    if (e === undefined) throw new FsError("not-found", `no such file: ${p}`);
    return f(e, p);
  }
}
