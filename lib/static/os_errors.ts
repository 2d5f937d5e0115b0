/**
 * Failures of the operating system (Deno, node:fs or libc errors) as FsError kinds, in one
 * table (nginx ngx_http_static_module: ENOENT/ENOTDIR/ENAMETOOLONG -> 404, EACCES/ELOOP -> 403).
 * @module
 */

import { FsError, type FsErrorKind } from "./fs_port.ts";
import { PosixError } from "./posix.ts";

/** errno names -> kinds. */
const KIND_OF_CODE: Readonly<Record<string, FsErrorKind>> = {
  ENOENT: "not-found",
  ENOTDIR: "not-found",
  ENAMETOOLONG: "not-found",
  EACCES: "denied",
  EPERM: "denied",
  ELOOP: "denied",
  EXDEV: "denied", // openat2 RESOLVE_BENEATH: the path leads out of the root
  ENXIO: "denied", // a FIFO without a reader, a device without its hardware
  EEXIST: "exists",
  EISDIR: "is-directory",
  ENOTEMPTY: "not-empty",
  ENOSPC: "no-space", // the disk is full: 507
  EDQUOT: "no-space", // the user's quota is
};

/** The FsError kind of any error thrown by a file call. */
export function fsErrorKind(e: unknown): FsErrorKind {
  if (e instanceof FsError) return e.kind;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in KIND_OF_CODE) return KIND_OF_CODE[code]!;
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return "not-found";
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.FilesystemLoop) {
    return "denied";
  }
  if (e instanceof Deno.errors.AlreadyExists) return "exists";
  if (e instanceof Deno.errors.IsADirectory) return "is-directory";
  return "other";
}

/** An FsError for any failure; libc's (which name no path) get the path in front. */
export function asFsError(e: unknown, path: string): FsError {
  if (e instanceof FsError) return e;
  const kind = fsErrorKind(e);
  if (e instanceof PosixError) {
    const why = e.code === "EXDEV" ? "leads outside the document root" : e.message;
    return new FsError(kind, `${path}: ${why}`);
  }
  return new FsError(kind, e instanceof Error ? e.message : String(e));
}
