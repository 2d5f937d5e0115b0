/**
 * Which responses are compressed, and the on-the-fly gzip stream (the built-in
 * CompressionStream; no Deno.* here).
 * @module
 */

import { trimOws } from "../http/chars.ts";

/** Compression settings (a slice of Config). */
export interface CompressionPolicy {
  /** [Compression] Off: no precompressed siblings, no on-the-fly gzip, no Vary. */
  readonly enabled: boolean;
  /** [CompressionMinSize] smaller files are sent as they are. */
  readonly minSize: number;
  /** [CompressionTypes] lower-case media types, without parameters. */
  readonly types: ReadonlySet<string>;
}

/** Precompressed sibling files, best first: `file.br`, then `file.gz`. */
export const SIBLINGS: ReadonlyArray<{ readonly coding: string; readonly suffix: string }> = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
];

/** The codings this server can send: siblings first, gzip also on the fly. */
export const OFFERED_CODINGS: readonly string[] = SIBLINGS.map((s) => s.coding);

/**
 * Whether a media type is listed for compression (parameters such as charset are ignored).
 * @example isCompressible("text/html; charset=utf-8", new Set(["text/html"])) // true
 */
export function isCompressible(contentType: string, types: ReadonlySet<string>): boolean {
  const semi = contentType.indexOf(";");
  const base = trimOws(semi < 0 ? contentType : contentType.slice(0, semi)).toLowerCase();
  return types.has(base);
}

/** gzip a byte stream as it is read; cancelling the result cancels the source. */
export function gzipStream(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  // CompressionStream's writable side is typed BufferSource; a Uint8Array is one.
  const gzip = new CompressionStream("gzip") as unknown as ReadableWritablePair<
    Uint8Array,
    Uint8Array
  >;
  return source.pipeThrough(gzip);
}
