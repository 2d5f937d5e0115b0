/**
 * Directory listing page ("Index of /path/"). Pure: the caller reads the
 * directory and passes plain entries. Names are HTML-escaped for display and
 * percent-encoded per segment in links, so a file called `<x>.html` or
 * `a b#?.txt` is shown verbatim and links to itself. Links are absolute
 * (built from `urlPath`), so they work whether or not the request URL ended
 * in "/". The page has no external resources.
 *
 * @module
 */

import { encodePathSegment, escapeHtml } from "./html.ts";

/** One directory entry as the caller's file system reports it. */
export interface ListingEntry {
  /** The entry's name (one segment, decoded). */
  name: string;
  /** Whether the entry is a directory (listed first, linked with a trailing "/"). */
  isDir: boolean;
  /** Size in bytes; ignored for directories. */
  size: number;
  /** Last modification time, milliseconds since the Unix epoch. */
  mtimeMs: number;
}

/** Options for {@linkcode renderListing}. */
export interface ListingOptions {
  /** Decoded URL path of the directory, e.g. `"/docs/"`. */
  urlPath: string;
  /** The directory's entries, in any order. */
  entries: ReadonlyArray<ListingEntry>;
}

const SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/**
 * Formats a byte count for people: `"512 B"`, `"1.2 KiB"`, `"3.0 MiB"`.
 *
 * @param size Byte count; negative or non-finite gives `"-"`.
 * @returns The formatted size.
 */
export function formatSize(size: number): string {
  if (!Number.isFinite(size) || size < 0) return "-";
  if (size < 1024) return `${Math.floor(size)} B`;
  let value = size / 1024;
  let unit = 0;
  // Choose the unit after rounding so 1048575 bytes reads "1.0 MiB", not "1024.0 KiB".
  while (unit < SIZE_UNITS.length - 1 && Math.round(value * 10) >= 1024 * 10) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a timestamp as UTC `"YYYY-MM-DD HH:MM"`.
 *
 * @param mtimeMs Milliseconds since the Unix epoch; invalid gives `"-"`.
 * @returns The formatted date.
 */
export function formatDate(mtimeMs: number): string {
  const d = new Date(mtimeMs);
  if (Number.isNaN(d.getTime())) return "-";
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-` +
    `${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`;
}

/** Code-unit order; deterministic across locales (no localeCompare). */
function byName(a: ListingEntry, b: ListingEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Folders first, then files, each group sorted by name. */
function sortEntries(entries: ReadonlyArray<ListingEntry>): ListingEntry[] {
  const dirs = entries.filter((e) => e.isDir).sort(byName);
  const files = entries.filter((e) => !e.isDir).sort(byName);
  return [...dirs, ...files];
}

/** Splits a decoded path into its non-empty segments. */
function segmentsOf(urlPath: string): string[] {
  return urlPath.split("/").filter((s) => s !== "");
}

/** Absolute, percent-encoded directory href for the given segments (always ends in "/"). */
function dirHref(segments: ReadonlyArray<string>): string {
  return segments.length === 0 ? "/" : `/${segments.map(encodePathSegment).join("/")}/`;
}

function renderRow(entry: ListingEntry, base: string): string {
  const suffix = entry.isDir ? "/" : "";
  const href = escapeHtml(base + encodePathSegment(entry.name) + suffix);
  const label = escapeHtml(entry.name + suffix);
  const cls = entry.isDir ? "dir" : "file";
  const size = entry.isDir ? "-" : formatSize(entry.size);
  return `<tr class="${cls}"><td class="name"><a href="${href}">${label}</a></td>` +
    `<td class="size">${size}</td><td class="date">${formatDate(entry.mtimeMs)}</td></tr>`;
}

const STYLE =
  `body{margin:0;padding:2rem 1.5rem;font:15px/1.5 system-ui,sans-serif;color:#1f2933;background:#f5f7fa}
main{max-width:56rem;margin:0 auto;background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:1.5rem 2rem}
h1{margin:0 0 1rem;font-size:1.3rem;font-weight:600;word-break:break-all}
table{width:100%;border-collapse:collapse}
th,td{padding:.35rem .5rem;text-align:left;border-bottom:1px solid #f0f2f5}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#7b8794}
td.size,th.size{text-align:right;white-space:nowrap}
td.date{white-space:nowrap;color:#52606d;font-variant-numeric:tabular-nums}
a{color:#1f6feb;text-decoration:none}a:hover{text-decoration:underline}
tr.dir a{font-weight:600}`;

/**
 * Renders an HTML5 "Index of" page for a directory.
 *
 * @param opts The decoded directory path and its entries.
 * @returns A complete HTML5 document (no external resources).
 * @example
 * ```ts
 * renderListing({
 *   urlPath: "/docs/",
 *   entries: [{ name: "guide.pdf", isDir: false, size: 1234, mtimeMs: 0 }],
 * });
 * ```
 */
export function renderListing(opts: ListingOptions): string {
  const segments = segmentsOf(opts.urlPath);
  const base = dirHref(segments);
  const title = escapeHtml(segments.length === 0 ? "/" : `/${segments.join("/")}/`);
  const rows = sortEntries(opts.entries).map((e) => renderRow(e, base));
  if (segments.length > 0) {
    const parent = escapeHtml(dirHref(segments.slice(0, -1)));
    rows.unshift(
      `<tr class="parent"><td class="name"><a href="${parent}">../</a></td>` +
        `<td class="size">-</td><td class="date"></td></tr>`,
    );
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Index of ${title}</title>
<style>
${STYLE}
</style>
</head>
<body>
<main>
<h1>Index of ${title}</h1>
<table>
<thead><tr><th>Name</th><th class="size">Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</main>
</body>
</html>
`;
}
