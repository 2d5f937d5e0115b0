/**
 * The bench cases and the files they request: pure data plus the generators for the document
 * root's bytes and the wrk Lua script of the Range mix. No Deno.* here.
 * @module
 */

/** Which number a case is judged by: requests per second, or bytes per second (10 MiB). */
export type Metric = "rps" | "mbps";

/** One wrk-driven case. */
export interface WrkCase {
  /** Stable id used in BENCH_CASES, JSON and the table. */
  readonly id: string;
  /** Human label for the table. */
  readonly title: string;
  /** Request target, e.g. `/1k.html`. */
  readonly path: string;
  /** wrk `-c`. */
  readonly connections: number;
  /** Extra request header lines for wrk `-H`. */
  readonly headers: readonly string[];
  /** Use the generated Range-mix Lua script. */
  readonly rangeScript: boolean;
  /** The number the ratio ours/nginx is taken on. */
  readonly metric: Metric;
  /** Status every response must have (checked once before the rounds). */
  readonly expectStatus: number;
  /** Over TLS: https:// to the server's HTTPS port (same certificate for every server). */
  readonly tls: boolean;
}

/** A file the bench writes into the temporary document root. */
export interface BenchFile {
  /** Name under the document root. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
}

const KIB = 1024;

/** Files generated into the document root (sizes in bytes). */
export const BENCH_FILES: readonly BenchFile[] = [
  { name: "1k.html", size: KIB },
  { name: "64k.html", size: 64 * KIB },
  { name: "10m.bin", size: 10 * KIB * KIB },
  { name: "range.bin", size: 200 * KIB },
];

/**
 * Modification time given to every generated file, so a revalidation case can send the exact
 * Last-Modified date (nginx's default `if_modified_since exact` answers 304 only to that).
 */
export const FILE_MTIME = new Date("2026-01-01T00:00:00Z");

/** Target that exists nowhere: the 404 storm. */
export const MISSING_PATH = "/missing/nothing-here.html";

/** Path the idle-connection case requests on each connection. */
export const IDLE_PATH = "/1k.html";

/** Id of the idle-connection case (it is not a wrk case). */
export const IDLE_CASE_ID = "idle";

function wrkCase(c: Partial<WrkCase> & Pick<WrkCase, "id" | "title" | "path">): WrkCase {
  return {
    connections: 50,
    headers: [],
    rangeScript: false,
    metric: "rps",
    expectStatus: 200,
    tls: false,
    ...c,
  };
}

/** The wrk cases in the order they run in each round. */
export const WRK_CASES: readonly WrkCase[] = [
  wrkCase({ id: "1k-c50", title: "1 KiB keep-alive c50", path: "/1k.html" }),
  wrkCase({ id: "1k-c256", title: "1 KiB keep-alive c256", path: "/1k.html", connections: 256 }),
  wrkCase({ id: "64k-c50", title: "64 KiB keep-alive c50", path: "/64k.html" }),
  wrkCase({
    id: "10m-c8",
    title: "10 MiB keep-alive c8",
    path: "/10m.bin",
    connections: 8,
    metric: "mbps",
  }),
  wrkCase({
    id: "1k-close",
    title: "1 KiB Connection: close c50",
    path: "/1k.html",
    headers: ["Connection: close"],
  }),
  wrkCase({ id: "404-c50", title: "404 storm c50", path: MISSING_PATH, expectStatus: 404 }),
  wrkCase({
    id: "304-c50",
    title: "1 KiB revalidated (304) c50",
    path: "/1k.html",
    headers: [`If-Modified-Since: ${FILE_MTIME.toUTCString()}`],
    expectStatus: 304,
  }),
  wrkCase({
    id: "range-c50",
    title: "Range mix c50",
    path: "/range.bin",
    rangeScript: true,
    expectStatus: 206,
  }),
  wrkCase({
    id: "tls-1k-c50",
    title: "1 KiB keep-alive over TLS c50",
    path: "/1k.html",
    tls: true,
  }),
  wrkCase({
    id: "tls-10m-c8",
    title: "10 MiB over TLS c8",
    path: "/10m.bin",
    connections: 8,
    metric: "mbps",
    tls: true,
  }),
  wrkCase({
    id: "tls-close-c50",
    title: "1 KiB new TLS connection per request c50",
    path: "/1k.html",
    headers: ["Connection: close"],
    tls: true,
  }),
];

/** Ids of the cases over TLS. */
export const TLS_CASES: readonly string[] = WRK_CASES.filter((c) => c.tls).map((c) => c.id);

/** Range header values the Range mix cycles through (single, suffix, open, multi-range). */
export const RANGE_MIX: readonly string[] = [
  "bytes=0-1023",
  "bytes=4096-8191",
  "bytes=-512",
  "bytes=100000-",
  "bytes=0-99,1000-1999",
  "bytes=0-0,500-599,-100",
];

/**
 * The wrk Lua script of the Range mix: each wrk thread pre-formats one request per Range value
 * and cycles through them.
 * @param path request target of the range file
 * @param ranges Range header values
 * @returns Lua source
 * @example
 * rangeMixScript("/range.bin", ["bytes=0-9"]); // 'local ranges = { "bytes=0-9" } ...'
 */
export function rangeMixScript(path: string, ranges: readonly string[]): string {
  const list = ranges.map((r) => JSON.stringify(r)).join(", ");
  return [
    `local ranges = { ${list} }`,
    "local requests = {}",
    "local i = 0",
    "init = function(args)",
    "  for k, r in ipairs(ranges) do",
    `    requests[k] = wrk.format("GET", ${JSON.stringify(path)}, { ["Range"] = r })`,
    "  end",
    "end",
    "request = function()",
    "  i = i % #requests + 1",
    "  return requests[i]",
    "end",
    "",
  ].join("\n");
}

/**
 * Bytes that spell their own offsets: each 16-byte row is its offset in decimal, zero-padded
 * to 15 digits, then a newline (nginx-tests range.t style), so a wrong slice is easy to spot.
 * @param size length in bytes
 * @returns the file contents
 */
export function offsetBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const row = new Uint8Array(16);
  for (let off = 0; off < size; off += 16) {
    let n = off;
    for (let d = 14; d >= 0; d--) {
      row[d] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    row[15] = 0x0a;
    out.set(row.subarray(0, Math.min(16, size - off)), off);
  }
  return out;
}

/**
 * Filter cases by the ids listed in BENCH_CASES (null keeps all).
 * @param cases all cases
 * @param ids ids to keep, or null
 * @returns the selected cases, in their original order
 */
export function selectCases(cases: readonly WrkCase[], ids: readonly string[] | null): WrkCase[] {
  return cases.filter((c) => ids === null || ids.includes(c.id));
}
