/**
 * Content-MD5 (RFC 1864, as Apache's `ContentDigest On` sends it) and Repr-Digest (RFC 9530
 * §3) for full responses, computed once per file version: results are cached by
 * (path, ETag) in a bounded cache, and concurrent requests for the same version share one
 * computation. WebCrypto has no MD5 and no incremental hashing, so node:crypto hashes the
 * file as it streams (one read for both digests).
 *
 * ```
 * Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
 * Repr-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
 * ```
 * @module
 */

import { createHash } from "node:crypto";
import type { ResponseFields } from "../http/response_head.ts";
import { BoundedCache } from "./bounded_cache.ts";
import type { FileSystem } from "./fs_port.ts";

/** Both digests of a representation, base64. */
export interface Digests {
  readonly md5: string;
  readonly sha256: string;
  /** Bytes hashed. */
  readonly size: number;
}

/** File versions whose digests are kept. */
export const DIGEST_CACHE_ENTRIES = 4096;

/** Digests of file versions, computed on first use. */
export class DigestCache {
  readonly #done: BoundedCache<string, Digests>;
  readonly #running = new Map<string, Promise<Digests>>();

  constructor(maxEntries = DIGEST_CACHE_ENTRIES) {
    this.#done = new BoundedCache(maxEntries);
  }

  /** Versions held. */
  get size(): number {
    return this.#done.size;
  }

  /**
   * The digests of a file version, or null when the file could not be read whole or changed
   * size while it was read (the next request tries again).
   * @param etag the version's validator; a new ETag means a new computation
   * @param size the size stat() reported for this version
   */
  async get(fs: FileSystem, path: string, etag: string, size: number): Promise<Digests | null> {
    const key = `${etag} ${path}`;
    const hit = this.#done.get(key);
    if (hit !== undefined) return hit;
    let p = this.#running.get(key);
    if (p === undefined) {
      p = digestStream(fs.openStream(path));
      this.#running.set(key, p);
      p.then((d) => {
        if (d.size === size) this.#done.set(key, d);
      }, () => {}).finally(() => this.#running.delete(key));
    }
    try {
      const d = await p;
      return d.size === size ? d : null;
    } catch {
      return null;
    }
  }
}

/** Hash a stream with MD5 and SHA-256 in one pass. */
export async function digestStream(stream: ReadableStream<Uint8Array>): Promise<Digests> {
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    md5.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { md5: md5.digest("base64"), sha256: sha256.digest("base64"), size };
}

/** The header fields for a set of digests. */
export function digestFields(d: Digests): ResponseFields {
  return [["Content-MD5", d.md5], ["Repr-Digest", `sha-256=:${d.sha256}:`]];
}
