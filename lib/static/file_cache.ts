/**
 * A FileSystem decorator that keeps stat results and the bytes of small files in memory,
 * revalidating each path with one stat at most once per interval, so edits show up within
 * FileCacheRevalidate while hot files cost no file-system call at all.
 *
 * Bounded twice: total cached bytes (FileCacheSize) with least-recently-used eviction, and the
 * number of stat entries. "Not found" is cached too (a 404 storm costs one stat per path per
 * interval). Writes through this object invalidate at once; other workers' caches are told
 * through `onInvalidate` (a BroadcastChannel in the worker).
 * @module
 */

import { trimOldest } from "../util/map_trim.ts";
import type { DirEntryInfo, FileInfo, FileSystem, FileVersion, OpenFile } from "./fs_port.ts";
import { FsError } from "./fs_port.ts";

/** Cache settings (from Config). */
export interface FileCacheOptions {
  /** Most bytes of file content held (0 disables content caching). */
  readonly maxBytes: number;
  /** Largest file whose content is cached. */
  readonly maxFileSize: number;
  /** A cached stat is trusted for this long. */
  readonly revalidateMs: number;
  /** Most paths whose stat result is remembered. */
  readonly maxEntries: number;
  readonly now: () => number;
}

interface Entry {
  checkedAt: number;
  info: FileInfo | null; // null: not found
  error: FsError | null; // a cached not-found error
  bytes: Uint8Array | null;
}

/** Same file version: the same file (device and inode), size, mtime and mode unchanged. */
export function sameVersion(a: FileInfo, b: FileInfo): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev &&
    a.mode === b.mode;
}

function versionOf(info: FileInfo): FileVersion {
  return { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
}

function isVersion(info: FileInfo, v: FileVersion): boolean {
  return info.size === v.size && info.mtimeMs === v.mtimeMs &&
    (v.ino === undefined || v.ino === null || v.ino === info.ino);
}

/** The caching decorator. */
export class CachedFileSystem implements FileSystem {
  readonly #inner: FileSystem;
  readonly #o: FileCacheOptions;
  readonly #entries = new Map<string, Entry>(); // insertion order = LRU order
  #bytes = 0;
  /** Called with each path written or removed through this object. */
  onInvalidate: ((path: string) => void) | null = null;

  constructor(inner: FileSystem, o: FileCacheOptions) {
    this.#inner = inner;
    this.#o = o;
  }

  /** Bytes of content currently held (for tests and the status page). */
  get cachedBytes(): number {
    return this.#bytes;
  }

  /** Paths currently remembered. */
  get size(): number {
    return this.#entries.size;
  }

  async stat(path: string, fresh = false): Promise<FileInfo> {
    if (fresh) this.invalidate(path);
    const e = this.#fresh(path);
    if (e !== null) {
      if (e.error !== null) throw e.error;
      return e.info!;
    }
    try {
      const info = await this.#inner.stat(path);
      this.#remember(path, info, null);
      return info;
    } catch (err) {
      // Not found is remembered; anything else (now a symlink out of the root, one of the
      // server's own files...) drops what was cached and is asked again next time.
      if (err instanceof FsError && err.kind === "not-found") this.#remember(path, null, err);
      else this.invalidate(path);
      throw err;
    }
  }

  /**
   * Cached bytes, or the inner readFile() of the version just stat'ed: the bytes kept come from
   * a file opened and checked by the inner file system (never a path followed blindly), and
   * are dropped when a revalidating stat sees another file.
   */
  async readFile(path: string, expect?: FileVersion): Promise<Uint8Array> {
    const info = await this.stat(path);
    if (expect !== undefined && !isVersion(info, expect)) {
      throw new FsError("changed", `${path} changed after it was planned`);
    }
    const e = this.#entries.get(path);
    if (e !== undefined && e.bytes !== null) return e.bytes;
    const bytes = await this.#inner.readFile(path, versionOf(info));
    const now = this.#entries.get(path);
    // Keep the bytes only if they still match the version we stat'ed (no edit in between).
    if (
      now !== undefined && now.info !== null && sameVersion(now.info, info) &&
      bytes.length === info.size
    ) {
      this.#store(now, bytes);
    }
    return bytes;
  }

  open(path: string, expect?: FileVersion): OpenFile {
    return this.#inner.open(path, expect);
  }

  openStream(path: string): ReadableStream<Uint8Array> {
    return this.#inner.openStream(path);
  }

  readDir(path: string): Promise<DirEntryInfo[]> {
    return this.#inner.readDir(path);
  }

  async writeAtomic(
    path: string,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    try {
      await this.#inner.writeAtomic(path, body, beforeCommit);
    } finally {
      this.invalidate(path);
      this.onInvalidate?.(path);
    }
  }

  async remove(path: string, beforeCommit?: () => Promise<void>): Promise<void> {
    try {
      await this.#inner.remove(path, beforeCommit);
    } finally {
      this.invalidate(path);
      this.onInvalidate?.(path);
    }
  }

  /** Forget a path (its stat and bytes). */
  invalidate(path: string): void {
    const e = this.#entries.get(path);
    if (e === undefined) return;
    this.#drop(path, e);
  }

  #fresh(path: string): Entry | null {
    const e = this.#entries.get(path);
    if (e === undefined) return null;
    if (this.#o.now() - e.checkedAt >= this.#o.revalidateMs) return null;
    this.#entries.delete(path); // move to the back: most recently used
    this.#entries.set(path, e);
    return e;
  }

  #remember(path: string, info: FileInfo | null, error: FsError | null): void {
    const old = this.#entries.get(path);
    const keep = old !== undefined && old.info !== null && info !== null &&
      sameVersion(old.info, info);
    if (old !== undefined) {
      if (!keep) this.#drop(path, old);
      else this.#entries.delete(path);
    }
    const e: Entry = { checkedAt: this.#o.now(), info, error, bytes: keep ? old!.bytes : null };
    this.#entries.set(path, e);
    trimOldest(this.#entries, this.#o.maxEntries, (_, dropped) => this.#release(dropped));
  }

  #store(e: Entry, bytes: Uint8Array): void {
    if (bytes.length > this.#o.maxFileSize || bytes.length > this.#o.maxBytes) return;
    e.bytes = bytes;
    this.#bytes += bytes.length;
    while (this.#bytes > this.#o.maxBytes) this.#evictOldest();
  }

  #evictOldest(): void {
    const first = this.#entries.entries().next();
    if (first.done) return;
    this.#drop(first.value[0], first.value[1]);
  }

  #drop(path: string, e: Entry): void {
    this.#release(e);
    this.#entries.delete(path);
  }

  /** Give back the bytes an entry holds (it is being dropped). */
  #release(e: Entry): void {
    if (e.bytes !== null) this.#bytes -= e.bytes.length;
    e.bytes = null;
  }
}
