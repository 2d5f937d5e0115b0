/**
 * Request target -> safe path below the document root (RFC 9112 §3.2, RFC 3986 §2.1).
 *
 * Checks run in a fixed order: target form, query split, percent-decoding (once, per segment),
 * NUL and backslash, encoded slashes, dot segments, hidden names. The result never contains
 * "." or ".." segments, so joining it to the root cannot climb out; symlinks are checked by the
 * file-system adapter.
 * @module
 */

/** A target that names something under the root. */
export interface SafePath {
  readonly kind: "path";
  /** Decoded path starting with "/", segments joined by "/", no empty segments. */
  readonly path: string;
  /** The path as the client sent it (still encoded), without the query. */
  readonly rawPath: string;
  /** Query string without "?", "" when absent. */
  readonly query: string;
  /** Whether the target ended with "/". */
  readonly trailingSlash: boolean;
}

/** Result of resolving a target. */
export type TargetResult =
  | SafePath
  | { readonly kind: "asterisk" }
  | { readonly kind: "reject"; readonly status: 400 | 404; readonly reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Resolve a request-target (origin-form, absolute-form or "*") to a safe path. */
export function resolveTarget(target: string): TargetResult {
  if (target === "*") return { kind: "asterisk" };
  let rest = target;
  if (rest[0] !== "/") {
    // absolute-form (RFC 9112 §3.2.2): scheme "://" authority path-abempty [ "?" query ]
    const m = /^https?:\/\/[^/?#]*/i.exec(rest);
    if (m === null) return reject(400, "target is not origin-form or absolute-form");
    rest = rest.slice(m[0].length);
    if (rest === "" || rest[0] === "?") rest = "/" + rest;
  }
  if (rest.includes("#")) return reject(400, "target contains a fragment");
  const q = rest.indexOf("?");
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? "" : rest.slice(q + 1);
  const segments: string[] = [];
  for (const raw of rawPath.split("/")) {
    if (raw === "") continue; // merge repeated slashes, as nginx does
    const seg = decodeSegment(raw);
    if (seg === null) return reject(400, "malformed percent-encoding");
    const bad = checkSegment(seg);
    if (bad !== null) return bad;
    segments.push(seg);
  }
  return {
    kind: "path",
    path: "/" + segments.join("/"),
    rawPath,
    query,
    trailingSlash: rawPath.endsWith("/"),
  };
}

/** Decode one path segment's %XX escapes as UTF-8; null when malformed. */
export function decodeSegment(raw: string): string | null {
  if (!raw.includes("%")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    bytes.push(hi * 16 + lo);
    i += 2;
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function checkSegment(seg: string): TargetResult | null {
  if (seg.includes("\0")) return reject(400, "path contains NUL");
  if (seg.includes("\\")) return reject(400, "path contains a backslash");
  if (seg.includes("/")) return reject(404, "path contains an encoded slash"); // Apache AllowEncodedSlashes Off
  if (seg === "." || seg === "..") return reject(400, "path contains a dot segment");
  if (seg[0] === "." && seg !== ".well-known") return reject(404, "hidden file");
  return null;
}

function reject(status: 400 | 404, reason: string): TargetResult {
  return { kind: "reject", status, reason };
}

/** Percent-encode a decoded path for a Location header, keeping "/" separators. */
export function encodePath(path: string): string {
  return path.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
    )
  ).join("/");
}
