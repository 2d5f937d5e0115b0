/**
 * The file-system interface the responder plans against. Only deno_fs.ts implements it with
 * Deno calls; tests use in-memory fakes and inject faults.
 * @module
 */

/** Facts about a file or folder. */
export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode: together they name the file itself, whatever path reached it. */
  readonly dev: number | null;
  readonly ino: number | null;
  /** Type and permission bits (st_mode), null where the platform has none. */
  readonly mode: number | null;
}

/** The file version a plan was made for; opening for the send refuses another one. */
export interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
  /** The inode planned for, when known: a different file of the same size and date is refused. */
  readonly ino?: number | null;
}

/**
 * A regular file opened for sending. Reads continue from the current position; the caller
 * closes it (also on failure).
 */
export interface OpenFile extends Disposable {
  /** Bytes read into `p`, or null at the end of the file. */
  read(p: Uint8Array): Promise<number | null>;
  /** The same, synchronously: for small slices, which the page cache answers at once. */
  readSync(p: Uint8Array): number | null;
  /** Move the position to `offset` bytes from the start. */
  seek(offset: number): void;
  close(): void;
}

/** A folder entry for listings. */
export interface DirEntryInfo {
  readonly name: string;
  readonly isDir: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Why a file-system call failed; mapped to a status in one table (responder). */
export type FsErrorKind =
  | "not-found" // ENOENT, ENOTDIR, ENAMETOOLONG
  | "denied" // EACCES, EPERM, ELOOP, a symlink leading out of the root, not a regular file,
  // one of the server's own files
  | "exists"
  | "is-directory"
  | "not-empty"
  | "changed" // the file is not the version a response was planned for
  | "no-space" // ENOSPC, EDQUOT: the disk (or the user's quota) is full
  | "other";

/** A failed file-system call. */
export class FsError extends Error {
  override name = "FsError";
  constructor(readonly kind: FsErrorKind, message: string) {
    super(message);
  }
}

/** The calls the static layer makes; all paths are absolute and inside the root. */
export interface FileSystem {
  /**
   * Stat following symlinks that stay inside the root; throws FsError("denied") when the path
   * leads out of the root or names one of the server's own files (keys, passwords, logs).
   * `fresh` asks a caching implementation to look at the disk now (writes check preconditions).
   */
  stat(path: string, fresh?: boolean): Promise<FileInfo>;
  /**
   * Open a regular file for sending a planned response, without ever blocking (a FIFO or a
   * device answers at once) and only if the opened file is the one found beneath the root.
   * Throws FsError: "not-found" when it is gone, "changed" when it is not the `expect`ed
   * version (size, mtime and inode, checked on the opened descriptor, as nginx checks the file
   * it opened), "denied" when it is not a regular file or not inside the root.
   */
  open(path: string, expect?: FileVersion): OpenFile;
  /**
   * Whole contents of a (small) regular file, opened as open() opens one (same checks, same
   * errors), so bytes that are cached come from the verified file.
   */
  readFile(path: string, expect?: FileVersion): Promise<Uint8Array>;
  /**
   * The bytes of a file as a stream. The file is opened on the first read, so an unread stream
   * holds no handle; cancelling the stream closes the file. Open or read failures error the
   * stream with an FsError.
   */
  openStream(path: string): ReadableStream<Uint8Array>;
  /** Entries of a folder, hidden names excluded. */
  readDir(path: string): Promise<DirEntryInfo[]>;
  /**
   * Write a body to a temporary file in the same folder, then rename it over `path`. The folder
   * is reached through no symlink, and the temporary file is created, renamed and (on failure)
   * removed relative to that folder, so a path component swapped meanwhile cannot redirect them.
   * On any failure the temporary file is removed and `path` is untouched. An error thrown by
   * the body iterator (client gone, bad chunk) is rethrown as it is; file-system failures are
   * thrown as FsError. `beforeCommit` runs after the body is stored and just before the rename;
   * an error it throws cancels the write and is rethrown as it is (a precondition that no
   * longer holds, checked as late as possible against lost updates). `beforeCommit` and the
   * rename run under an exclusive lock on the folder (flock), held by every writer of the folder
   * in every worker and every instance on the host: check-and-commit is atomic.
   */
  writeAtomic(
    path: string,
    body: AsyncIterable<Uint8Array>,
    beforeCommit?: () => Promise<void>,
  ): Promise<void>;
  /** Remove a file; `beforeCommit` runs under the same folder lock as writeAtomic()'s. */
  remove(path: string, beforeCommit?: () => Promise<void>): Promise<void>;
}
