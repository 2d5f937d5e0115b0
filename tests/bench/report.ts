/**
 * Plain-text tables of the summary rows, pure.
 * @module
 */

import type { IdleRow, RevisionRow, WrkRow } from "./summary.ts";

const MIB = 1024 * 1024;

/**
 * A latency in microseconds as wrk would print it: `850us`, `1.20ms`, `2.31s`.
 * @param us microseconds
 * @returns the text
 * @example
 * formatLatency(1200); // "1.20ms"
 */
export function formatLatency(us: number): string {
  if (!Number.isFinite(us)) return "-";
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1e6) return `${(us / 1e3).toFixed(2)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}

/**
 * A ratio with two decimals, or `-` when there is none.
 * @param r the ratio
 * @returns the text
 */
export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? "-" : r.toFixed(2);
}

/**
 * Align columns: the first `left` columns left-aligned, the rest right-aligned, separated by
 * ` | `, with a dashed rule under the header.
 * @param header column titles
 * @param rows cells
 * @param left how many leading columns are text
 * @returns the table, one line per row, ending in a newline
 * @example
 * renderTable(["a", "n"], [["x", "10"]], 1);
 * // "a |  n\n--+---\nx | 10\n"
 */
export function renderTable(header: string[], rows: string[][], left: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => {
      const w = widths[i] ?? 0;
      return i < left ? c.padEnd(w) : c.padStart(w);
    }).join(" | ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  return [line(header), rule, ...rows.map(line)].join("\n") + "\n";
}

/**
 * The lowest and highest per-round ratio, `1.28-1.41`, or `-` when there is no range.
 * @param range from WrkRow.ratioRange
 * @returns the text
 * @example
 * formatRange({ min: 1.284, max: 1.409 }); // "1.28-1.41"
 */
export function formatRange(range: WrkRow["ratioRange"]): string {
  return range === null ? "-" : `${formatRatio(range.min)}-${formatRatio(range.max)}`;
}

/**
 * CPU microseconds per request with one decimal, or `-` when unmeasured.
 * @param us microseconds
 * @returns the text
 */
export function formatCpu(us: number | null): string {
  return us === null || !Number.isFinite(us) ? "-" : us.toFixed(1);
}

/**
 * The main table: case | server | req/s | MiB/s | p50 | p99 | ratio | its range over rounds |
 * p99 ratio | server and wrk CPU µs per request. `ratio` is the case's metric (req/s; MiB/s for
 * the 10 MiB case) over nginx's, from the medians; `rounds` is the lowest and highest ratio of a
 * single round, how much one run could have said. The CPU columns show where a ratio comes from
 * on a machine whose cores the server shares with wrk.
 * @param rows summary rows
 * @returns the table text
 */
export function formatWrkTable(rows: readonly WrkRow[]): string {
  const header = [
    "case",
    "server",
    "req/s",
    "MiB/s",
    "p50",
    "p99",
    "ratio/nginx",
    "rounds",
    "p99/nginx",
    "server us/req",
    "wrk us/req",
  ];
  const cells = rows.map((r) => [
    r.caseTitle,
    r.server,
    Math.round(r.rps).toString(),
    (r.bytesPerSec / MIB).toFixed(1),
    formatLatency(r.p50Us),
    formatLatency(r.p99Us),
    formatRatio(r.ratio),
    formatRange(r.ratioRange),
    formatRatio(r.p99Ratio),
    formatCpu(r.serverCpuUs),
    formatCpu(r.wrkCpuUs),
  ]);
  return renderTable(header, cells, 2);
}

/**
 * The table of ours against its older revisions (BENCH_REVS): case | row | older row | ratio
 * (the case's metric, current over older, from the medians) | its range over rounds | p99 ratio
 * | server CPU µs per request of each. Above 1 the current code is faster; a range that holds 1
 * is a difference the run cannot tell from its own noise.
 * @param rows from compareRevisions()
 * @returns the table text
 */
export function formatRevisionTable(rows: readonly RevisionRow[]): string {
  const header = [
    "case",
    "server",
    "against",
    "ratio",
    "rounds",
    "p99 ratio",
    "server us/req",
    "against us/req",
  ];
  const cells = rows.map((r) => [
    r.caseTitle,
    r.server,
    r.against,
    formatRatio(r.ratio),
    formatRange(r.ratioRange),
    formatRatio(r.p99Ratio),
    formatCpu(r.serverCpuUs),
    formatCpu(r.againstCpuUs),
  ]);
  return renderTable(header, cells, 3);
}

/**
 * The idle-connection table: RSS before/after and per connection, and how many connections
 * were still served after idling.
 * @param rows idle summary rows
 * @returns the table text
 */
export function formatIdleTable(rows: readonly IdleRow[]): string {
  const header = [
    "server",
    "processes",
    "open",
    "served after",
    "RSS before",
    "RSS after",
    "KiB/conn",
    "ratio/nginx",
  ];
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const cells = rows.map((r) => [
    r.server,
    r.processes.toString(),
    `${r.opened}/${r.requested}`,
    `${r.servedAfter}/${r.opened}`,
    mib(r.rssBeforeKiB),
    mib(r.rssAfterKiB),
    r.perConnKiB.toFixed(2),
    formatRatio(r.ratio),
  ]);
  return renderTable(header, cells, 1);
}

/**
 * Lines warning about rows whose runs saw socket errors or unexpected statuses.
 * @param rows summary rows
 * @param expectErrors case ids whose responses are expected to be non-2xx (the 404 storm)
 * @returns one line per suspicious row
 */
export function wrkWarnings(rows: readonly WrkRow[], expectErrors: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.socketErrors > 0) {
      out.push(`${r.caseTitle} / ${r.server}: ${r.socketErrors} socket errors (all rounds)`);
    }
    if (r.non2xx3xx > 0 && !expectErrors.includes(r.caseId)) {
      out.push(`${r.caseTitle} / ${r.server}: ${r.non2xx3xx} non-2xx/3xx responses`);
    }
  }
  return out;
}
