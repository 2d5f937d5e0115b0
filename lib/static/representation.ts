/**
 * Choosing the representation of a file to send (RFC 9110 §12.5.3 content negotiation): the
 * file as stored, a precompressed sibling (`file.br`, `file.gz`, like nginx gzip_static), or
 * gzip made on the fly; and the header fields that describe it.
 *
 * Decisions:
 * - Only media types in CompressionTypes are negotiated (no sibling look-ups for images or
 *   video, which do not compress), and only those responses carry `Vary: Accept-Encoding`.
 * - A sibling is used only if it is a readable regular file; its ETag is made from its own
 *   facts plus the coding, and its Last-Modified is its own, so validators always describe
 *   the bytes sent. Ranges apply to a sibling as to any file (ranges are over the encoded
 *   representation, §14.1).
 * - On-the-fly gzip needs CompressionMinSize bytes, an HTTP/1.1 client (the body is chunked),
 *   and no Range field: a Range request gets the identity representation with the range, as
 *   nginx does. Its ETag is weak (`W/"...-gzip"`), as nginx makes it, and it has no
 *   Content-Length and no Accept-Ranges.
 * @module
 */

import { formatHttpDate } from "../http/http_date.ts";
import type { ResponseFields } from "../http/response_head.ts";
import { rankEncodings } from "./accept_encoding.ts";
import { isCompressible, OFFERED_CODINGS, SIBLINGS } from "./compress.ts";
import type { Root, StaticContext, StaticRequest } from "./context.ts";
import { makeETag } from "./etag.ts";
import type { FileInfo } from "./fs_port.ts";
import { contentTypeFor } from "./mime.ts";

/** A file found for a request. */
export interface FileTarget {
  /** Decoded URL path (names the media type and Cache-Control rule). */
  readonly urlPath: string;
  readonly local: string;
  readonly info: FileInfo;
  readonly at: Root;
}

/** The bytes chosen for the response and how they are coded. */
export interface Representation {
  /** File whose bytes are sent (the sibling when one is used). */
  readonly local: string;
  readonly info: FileInfo;
  /** Content-Encoding, or null for identity. */
  readonly coding: string | null;
  /** gzip made while sending (chunked, no length). */
  readonly onTheFly: boolean;
  readonly etag: string;
  /** Whether the choice depended on Accept-Encoding. */
  readonly vary: boolean;
}

/** Whether the permission bits allow anyone to read (files with none are never served). */
export function isReadable(info: FileInfo): boolean {
  return info.mode === null || (info.mode & 0o444) !== 0;
}

/** Pick the representation of `f` to send for `req`. */
export async function selectRepresentation(
  ctx: StaticContext,
  req: StaticRequest,
  f: FileTarget,
): Promise<Representation> {
  const identity: Representation = {
    local: f.local,
    info: f.info,
    coding: null,
    onTheFly: false,
    etag: makeETag(f.info),
    vary: false,
  };
  const c = ctx.compression;
  if (!c.enabled || !isCompressible(contentTypeFor(f.urlPath), c.types)) return identity;
  const varied = { ...identity, vary: true };
  for (const coding of rankEncodings(req.headers.combined("accept-encoding"), OFFERED_CODINGS)) {
    const sibling = await findSibling(f, coding);
    if (sibling !== null) return sibling;
    if (coding === "gzip" && canGzipOnTheFly(ctx, req, f.info)) {
      return { ...varied, coding, onTheFly: true, etag: "W/" + makeETag(f.info, "gzip") };
    }
  }
  return varied;
}

async function findSibling(f: FileTarget, coding: string): Promise<Representation | null> {
  const suffix = SIBLINGS.find((s) => s.coding === coding)?.suffix;
  if (suffix === undefined) return null;
  const local = f.local + suffix;
  try {
    const info = await f.at.fs.stat(local);
    if (!info.isFile || !isReadable(info)) return null;
    // A sibling older than its file is stale (the file was replaced, e.g. by PUT): skip it.
    if (info.mtimeMs < f.info.mtimeMs) return null;
    return { local, info, coding, onTheFly: false, etag: makeETag(info, coding), vary: true };
  } catch {
    return null; // missing, or unusable: the stored file is still a correct answer
  }
}

function canGzipOnTheFly(ctx: StaticContext, req: StaticRequest, info: FileInfo): boolean {
  return info.size >= ctx.compression.minSize && req.streamable !== false &&
    req.headers.get("range") === undefined;
}

/**
 * Header fields describing a representation (Content-Length is added by the body stage).
 * Order: Content-Type, Content-Encoding, Last-Modified, ETag, Accept-Ranges, Vary,
 * Cache-Control, X-Content-Type-Options.
 */
export function representationFields(
  ctx: StaticContext,
  urlPath: string,
  rep: Representation,
): ResponseFields {
  const fields: ResponseFields = [["Content-Type", contentTypeFor(urlPath)]];
  if (rep.coding !== null) fields.push(["Content-Encoding", rep.coding]);
  fields.push(["Last-Modified", formatHttpDate(rep.info.mtimeMs)], ["ETag", rep.etag]);
  if (!rep.onTheFly) fields.push(["Accept-Ranges", "bytes"]);
  if (rep.vary) fields.push(["Vary", "Accept-Encoding"]);
  const cc = ctx.cacheControl(urlPath);
  if (cc !== null) fields.push(["Cache-Control", cc]);
  fields.push(["X-Content-Type-Options", "nosniff"]);
  return fields;
}
