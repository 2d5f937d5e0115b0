/**
 * File extension -> media type, from the mime-db database, with charset=utf-8 for text.
 * @module
 */

import db from "mime-db";

const BY_EXTENSION = new Map<string, string>();

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
