/**
 * File extension -> media type, from the mime-db database, with charset=utf-8 for text.
 * @module
 */

import db from "mime-db";
import { trimOws } from "../http/chars.ts";

const BY_EXTENSION = new Map<string, string>();
const EXTENSION_OF = new Map<string, string>();

// mime-db lists several types for some extensions; prefer IANA-sourced entries, as the
// `mime-types` package does, so that e.g. ".js" maps to text/javascript.
const SOURCE_RANK: Record<string, number> = { nginx: 1, apache: 2, iana: 3 };
interface MimeEntry {
  readonly source?: string;
  readonly charset?: string;
  readonly extensions?: readonly string[];
}
const rank = new Map<string, number>();
for (const [type, entry] of Object.entries(db as Record<string, MimeEntry>)) {
  const first = entry.extensions?.[0];
  if (first !== undefined) EXTENSION_OF.set(type, first);
  for (const ext of entry.extensions ?? []) {
    // On a tie, a specific top-level type beats application/* (".mp4" is video/mp4).
    const r = (SOURCE_RANK[entry.source ?? ""] ?? 0) * 2 +
      (type.startsWith("application/") ? 0 : 1);
    const prev = rank.get(ext);
    if (prev !== undefined && prev >= r) continue;
    rank.set(ext, r);
    const text = type.startsWith("text/") || entry.charset?.toUpperCase() === "UTF-8";
    BY_EXTENSION.set(ext, text ? `${type}; charset=utf-8` : type);
  }
}

/** Used when the extension is unknown (RFC 9110 §8.3: the recipient may then sniff, or not). */
export const DEFAULT_TYPE = "application/octet-stream";

/**
 * Content-Type for a file name.
 * @example contentTypeFor("/a/index.html") // "text/html; charset=utf-8"
 */
export function contentTypeFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return DEFAULT_TYPE;
  return BY_EXTENSION.get(path.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}

/**
 * The usual file extension of a media type (parameters ignored), or null when unknown.
 * @example extensionFor("text/plain; charset=utf-8") // "txt"
 */
export function extensionFor(contentType: string): string | null {
  const semi = contentType.indexOf(";");
  const base = trimOws(semi < 0 ? contentType : contentType.slice(0, semi)).toLowerCase();
  return EXTENSION_OF.get(base) ?? null;
}

/**
 * Whether a stored upload may keep an extension that makes it served as `servedType`. An
 * allow-list of passive types, judged by the type the file will be *served* as (not the type
 * the client claimed): anything a browser could run on this origin (HTML, SVG, any XML, which
 * XSLT or XHTML namespaces turn active, scripts, wasm) is stored without an extension and served
 * as application/octet-stream with nosniff, so an upload area cannot plant a page (stored XSS).
 */
export function isPassiveType(servedType: string): boolean {
  const t = trimOws(servedType.split(";")[0]!).toLowerCase();
  if (t.endsWith("+xml") || t.endsWith("/xml")) return false;
  if (/^(image\/(?!svg)|audio\/|video\/|font\/)/.test(t)) return true;
  return PASSIVE_TYPES.has(t);
}

const PASSIVE_TYPES: ReadonlySet<string> = new Set([
  "text/plain",
  "text/csv",
  "application/pdf",
  "application/json",
  "application/zip",
  "application/gzip",
  "application/octet-stream",
]);

/**
 * A new, unguessable file name for an upload: base-36 time, 64 random bits, and the extension
 * of its media type when that is served back as a passive type (see isPassiveType).
 * @example newUploadName("image/png") // "m3x1c9k2-1f0e3d2c4b5a6978.png"
 */
export function newUploadName(contentType: string | undefined): string {
  const random = crypto.getRandomValues(new Uint8Array(8)).toHex();
  const base = contentType === undefined
    ? undefined
    : trimOws(contentType.split(";")[0]!).toLowerCase();
  const ext = base === undefined ? null : extensionFor(base);
  const safe = ext !== null && isPassiveType(contentTypeFor(`x.${ext}`));
  return `${Date.now().toString(36)}-${random}${safe ? "." + ext : ""}`;
}
