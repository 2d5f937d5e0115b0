/**
 * Files read and written through node:fs descriptors: Deno owns them (a terminated worker's
 * are closed, unlike raw ones from posix.ts), and node:fs opens with any flag, O_NONBLOCK
 * included, which Deno.open cannot. Reads are positioned (pread), so an OpenFile needs no seek.
 * @module
 */

import * as nodeFs from "node:fs";
import type { OpenFile } from "./fs_port.ts";

/** A regular file opened through node:fs, read from a tracked offset. */
export class NodeOpenFile implements OpenFile {
  #fd: number;
  #pos = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  async read(p: Uint8Array): Promise<number | null> {
    const n = await readAt(this.#fd, p, this.#pos);
    this.#pos += n;
    return n === 0 ? null : n;
  }

  readSync(p: Uint8Array): number | null {
    const n = nodeFs.readSync(this.#fd, p, 0, p.length, this.#pos);
    this.#pos += n;
    return n === 0 ? null : n;
  }

  seek(offset: number): void {
    this.#pos = offset;
  }

  close(): void {
    if (this.#fd >= 0) closeQuietly(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** pread(2): bytes read into `p` from `position` (0 at the end of the file). */
export function readAt(fd: number, p: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    nodeFs.read(fd, p, 0, p.length, position, (e, n) => e ? reject(e) : resolve(n))
  );
}

/** Write all of `data` at the current position (a write may take only part of it). */
export async function writeAll(fd: number, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    off += await new Promise<number>((resolve, reject) =>
      nodeFs.write(fd, data, off, data.length - off, null, (e, n) => e ? reject(e) : resolve(n))
    );
  }
}

/** fdatasync(2). */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => nodeFs.fdatasync(fd, (e) => e ? reject(e) : resolve()));
}

/** Close a descriptor; a failed close has nothing left to do. */
export function closeQuietly(fd: number): void {
  try {
    nodeFs.closeSync(fd);
  } catch { /* already closed */ }
}
