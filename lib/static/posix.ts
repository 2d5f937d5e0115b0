/**
 * Descriptor-relative file calls through libc (Deno FFI), for what Deno's own API cannot say:
 * "resolve this path beneath the document root and nowhere else" (openat2 with
 * RESOLVE_BENEATH, Linux 5.6), "create this name in the folder I checked" (openat with
 * O_CREAT|O_EXCL|O_NOFOLLOW) and "rename within that folder" (renameat). The kernel does the
 * check and the use in one call, so a path component swapped for a symlink in between cannot
 * redirect them (Deno has no openat, and /proc/self/fd needs --allow-all).
 *
 * Raw descriptors are invisible to Deno: a terminated worker would leak them. So every function
 * here closes what it opens before it returns, except `folder()`, whose caller holds it across a
 * write and closes it in `finally` (deno_fs.ts).
 *
 * Linux x86_64 and aarch64 only; the server says so at start rather than run unprotected.
 * @module
 */

import { join } from "node:path";

/** A failed libc call: its errno and the errno's name ("ENOENT"). */
export class PosixError extends Error {
  override name = "PosixError";
  readonly code: string;
  constructor(readonly errno: number, what: string) {
    const [code, text] = ERRNOS[errno] ?? [`errno ${errno}`, "Unknown error"];
    super(`${what}: ${text} (${code})`);
    this.code = code;
  }
}

/** errno values (the same on x86_64 and aarch64): their names and what strerror says. */
const ERRNOS: Readonly<Record<number, readonly [string, string]>> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  5: ["EIO", "Input/output error"],
  6: ["ENXIO", "No such device or address"],
  9: ["EBADF", "Bad file descriptor"],
  11: ["EAGAIN", "Resource temporarily unavailable"],
  13: ["EACCES", "Permission denied"],
  16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  23: ["ENFILE", "Too many open files in system"],
  24: ["EMFILE", "Too many open files"],
  27: ["EFBIG", "File too large"],
  28: ["ENOSPC", "No space left on device"],
  30: ["EROFS", "Read-only file system"],
  36: ["ENAMETOOLONG", "File name too long"],
  38: ["ENOSYS", "Function not implemented"],
  39: ["ENOTEMPTY", "Directory not empty"],
  40: ["ELOOP", "Too many levels of symbolic links"],
  95: ["EOPNOTSUPP", "Operation not supported"],
  122: ["EDQUOT", "Disk quota exceeded"],
};
const EAGAIN = 11;
const EXDEV = 18;
const ELOOP = 40;
const ENOSYS = 38;
const ENOENT = 2;

/** Open flags; O_DIRECTORY and O_NOFOLLOW differ between x86_64 and aarch64. */
const ARM = Deno.build.arch === "aarch64";
export const O = Object.freeze({
  RDONLY: 0,
  WRONLY: 1,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  NONBLOCK: 0o4000,
  DIRECTORY: ARM ? 0o40000 : 0o200000,
  NOFOLLOW: ARM ? 0o100000 : 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
});

/** openat2 resolve flags (linux/openat2.h). */
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const SYS_OPENAT2 = 437n; // the same number on every architecture (new syscall table)
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;

const S_IFMT = 0o170000;
/** A regular file's type bits. */
export const S_IFREG = 0o100000;
/** A folder's type bits. */
export const S_IFDIR = 0o040000;

/** What statx says about a file; `dev` encoded as glibc's makedev, as Deno and node give it. */
export interface Stat {
  readonly dev: number;
  readonly ino: number;
  /** Type and permission bits (st_mode). */
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Whether two stats name the same file. */
export function sameFile(a: { dev: number; ino: number }, b: { dev: number; ino: number }) {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Whether a mode is a regular file's. */
export const isRegular = (mode: number) => (mode & S_IFMT) === S_IFREG;
/** Whether a mode is a folder's. */
export const isFolder = (mode: number) => (mode & S_IFMT) === S_IFDIR;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  // syscall(SYS_openat2, dirfd, path, &how, sizeof how): glibc has no wrapper.
  syscall: { parameters: ["i64", "i64", "buffer", "buffer", "usize"], result: "i64" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | null = null;
let errnoView: Deno.UnsafePointerView | null = null;

/** libc, opened on first use (so importing this module needs no --allow-ffi). */
function c(): Libc {
  if (libc !== null) return libc;
  if (Deno.build.os !== "linux") {
    throw new Error(`the file system layer needs Linux (openat2); this is ${Deno.build.os}`);
  }
  libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  // errno is per thread and so is this module (one instance per worker): its address is fixed.
  errnoView = new Deno.UnsafePointerView(libc.__errno_location()!);
  return libc;
}

function errno(): number {
  return errnoView!.getInt32();
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated copy of a path (paths never contain NUL: url_path.ts rejects it). */
function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(s.length * 3 + 1);
  const { written } = encoder.encodeInto(s, b);
  return b.subarray(0, written + 1) as Uint8Array<ArrayBuffer>;
}

const EMPTY = cstr("");

function check(r: number, what: string): number {
  if (r < 0) throw new PosixError(errno(), what);
  return r;
}

/** Close a raw descriptor (never throws: there is nothing to do about a failed close). */
export function closeFd(fd: number): void {
  c().close(fd);
}

/** statx of a descriptor (`name` "") or of a name relative to it, never following a last symlink. */
export function statAt(fd: number, name = ""): Stat {
  const buf = new Uint8Array(256);
  const flags = name === "" ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
  check(c().statx(fd, name === "" ? EMPTY : cstr(name), flags, STATX_BASIC_STATS, buf), "statx");
  const v = new DataView(buf.buffer);
  const major = v.getUint32(136, true);
  const minor = v.getUint32(140, true);
  return {
    // glibc makedev(): minor's low byte, major's low 12 bits, then the rest of each.
    dev: (minor & 0xff) + (major & 0xfff) * 0x100 + (minor >>> 8) * 0x100000 +
      (major >>> 12) * 0x100000000000,
    ino: Number(v.getBigUint64(32, true)),
    mode: v.getUint16(28, true),
    size: Number(v.getBigUint64(40, true)),
    mtimeMs: Number(v.getBigInt64(112, true)) * 1000 + Math.trunc(v.getUint32(120, true) / 1e6),
  };
}

/**
 * A document root reached through descriptors. Every path given to it is relative to the root
 * ("." for the root itself). The root folder is opened by its path for each call, so a root
 * replaced on disk (a deploy renaming a new tree into place) is seen at once, as before.
 */
export class Beneath {
  readonly root: string;
  readonly #rootPath: Uint8Array<ArrayBuffer>;

  /**
   * @param root an absolute path without symlinks (realPath of DocumentRoot)
   * @throws Error when the platform lacks openat2 or FFI is not allowed
   */
  constructor(root: string) {
    this.root = root;
    this.#rootPath = cstr(root);
    try {
      closeFd(this.open(".", O.PATH));
    } catch (e) {
      if (e instanceof PosixError && e.errno === ENOSYS) {
        throw new Error("the file system layer needs Linux 5.6 or later (openat2)");
      }
      if (e instanceof PosixError) return; // a missing root is reported by each request
      throw e;
    }
  }

  /**
   * Open `rel` beneath the root. Symlinks are followed while they stay inside the root; one
   * that leaves it gives EXDEV (mapped to 403). An absolute symlink to a place inside the root
   * is allowed by checking its real path, then opening that path with no symlink at all.
   * @returns a raw descriptor: close it with closeFd() before the caller's next await
   */
  open(rel: string, flags: number): number {
    return this.#withRoot((root) => {
      const fd = openat2(root, rel, flags | O.CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0) return fd;
      if (-fd !== EXDEV) throw new PosixError(-fd, "openat2");
      const real = this.#realRelative(rel);
      const again = openat2(root, real, flags | O.CLOEXEC, STRICT);
      // ELOOP: a symlink appeared since realPath looked; treat it as leaving the root.
      if (again < 0) throw new PosixError(-again === ELOOP ? EXDEV : -again, "openat2");
      return again;
    });
  }

  /** statx of `rel` beneath the root (following symlinks that stay inside). */
  stat(rel: string): Stat {
    const fd = this.open(rel, O.PATH);
    try {
      return statAt(fd);
    } finally {
      closeFd(fd);
    }
  }

  /**
   * A descriptor of the folder `rel`, reached through no symlink at all (writes never go
   * through a symlinked folder); `readable` to list it with namesIn(). The caller closes it.
   */
  folder(rel: string, readable = false): number {
    const flags = (readable ? O.RDONLY | O.NONBLOCK : O.PATH) | O.DIRECTORY | O.CLOEXEC;
    return this.#withRoot((root) => {
      const fd = openat2(root, rel, flags, STRICT);
      if (fd < 0) throw new PosixError(-fd === ELOOP ? EXDEV : -fd, "openat2");
      return fd;
    });
  }

  /** The names in folder `rel` ("." and ".." left out), read from one descriptor. */
  names(rel: string): string[] {
    const fd = this.open(rel, O.RDONLY | O.DIRECTORY | O.NONBLOCK);
    try {
      return namesIn(fd);
    } finally {
      closeFd(fd);
    }
  }

  /** The real path of `rel`, relative to the root; EXDEV when it leaves the root. */
  #realRelative(rel: string): string {
    let real: string;
    try {
      real = Deno.realPathSync(join(this.root, rel));
    } catch (e) {
      const code = (e as { code?: string }).code;
      const n = Object.entries(ERRNOS).find(([, [name]]) => name === code)?.[0];
      throw new PosixError(n === undefined ? ENOENT : Number(n), "realpath");
    }
    if (real === this.root) return ".";
    if (!real.startsWith(this.root + "/")) throw new PosixError(EXDEV, "realpath");
    return real.slice(this.root.length + 1);
  }

  #withRoot<T>(f: (rootFd: number) => T): T {
    const root = check(c().open(this.#rootPath, O.PATH | O.DIRECTORY | O.CLOEXEC, 0), "open");
    try {
      return f(root);
    } finally {
      closeFd(root);
    }
  }
}

/** Beneath the root and through no symlink at all. */
const STRICT = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

/** openat2(2); returns the descriptor or -errno. Retries EAGAIN (a rename raced the lookup). */
function openat2(dirFd: number, rel: string, flags: number, resolve: number): number {
  // struct open_how { u64 flags; u64 mode; u64 resolve; }
  const how = new BigUint64Array([BigInt(flags), 0n, BigInt(resolve)]);
  const path = cstr(rel);
  for (let attempt = 0;; attempt++) {
    const fd = Number(
      c().syscall(SYS_OPENAT2, BigInt(dirFd), path, new Uint8Array(how.buffer), 24n),
    );
    if (fd >= 0) return fd;
    const e = errno();
    if (e !== EAGAIN || attempt === 3) return -e;
  }
}

/**
 * Create `name` in the folder `dirFd` for writing: a new file only, never through a symlink.
 * @returns the new file's identity (its descriptor is closed again: the caller reopens it by
 *   path and compares, so the body is written through a descriptor Deno owns)
 */
export function createIn(dirFd: number, name: string, mode: number): Stat {
  const flags = O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC;
  const fd = check(c().openat(dirFd, cstr(name), flags, mode), "openat");
  try {
    return statAt(fd);
  } finally {
    closeFd(fd);
  }
}

/** The names in the folder open as `fd` (readable), "." and ".." left out. */
export function namesIn(fd: number): string[] {
  const buf = new Uint8Array(32 * 1024);
  const v = new DataView(buf.buffer);
  const out: string[] = [];
  for (;;) {
    const n = check(Number(c().getdents64(fd, buf, BigInt(buf.length))), "getdents64");
    if (n === 0) return out;
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    for (let off = 0; off < n; off += v.getUint16(off + 16, true)) {
      const end = buf.indexOf(0, off + 19);
      const name = decoder.decode(buf.subarray(off + 19, end));
      if (name !== "." && name !== "..") out.push(name);
    }
  }
}

/** rename(2) of `from` to `to`, both in the folder `dirFd`. */
export function renameIn(dirFd: number, from: string, to: string): void {
  check(c().renameat(dirFd, cstr(from), dirFd, cstr(to)), "renameat");
}

/** unlink(2) of `name` in the folder `dirFd` (files only). */
export function unlinkIn(dirFd: number, name: string): void {
  check(c().unlinkat(dirFd, cstr(name), 0), "unlinkat");
}
