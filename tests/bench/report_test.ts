import assert from "node:assert/strict";
import {
  formatCpu,
  formatIdleTable,
  formatLatency,
  formatRange,
  formatRatio,
  formatRevisionTable,
  formatWrkTable,
  renderTable,
  wrkWarnings,
} from "./report.ts";
import type { IdleRow, RevisionRow, WrkRow } from "./summary.ts";

function row(over: Partial<WrkRow>): WrkRow {
  return {
    caseId: "1k-c50",
    caseTitle: "1 KiB keep-alive c50",
    serverId: "ours",
    server: "ours",
    rounds: 3,
    rps: 140000.4,
    bytesPerSec: 150 * 1024 * 1024,
    p50Us: 320,
    p99Us: 1200,
    serverCpuUs: 8.649,
    wrkCpuUs: 6.04,
    ratio: 1.4,
    ratioRange: { min: 1.284, max: 1.409 },
    p99Ratio: 0.5,
    non2xx3xx: 0,
    socketErrors: 0,
    ...over,
  };
}

Deno.test("formatLatency() picks us, ms or s like wrk", () => {
  assert.equal(formatLatency(850.4), "850us");
  assert.equal(formatLatency(999.4), "999us");
  assert.equal(formatLatency(1200), "1.20ms");
  assert.equal(formatLatency(2_310_000), "2.31s");
  assert.equal(formatLatency(NaN), "-");
});

Deno.test("formatRatio() prints two decimals or a dash", () => {
  assert.equal(formatRatio(1.4049), "1.40");
  assert.equal(formatRatio(null), "-");
  assert.equal(formatRatio(Infinity), "-");
});

Deno.test("formatRange() prints the lowest and highest round's ratio, or a dash", () => {
  assert.equal(formatRange({ min: 1.284, max: 1.409 }), "1.28-1.41");
  assert.equal(formatRange({ min: 0.9, max: 0.9 }), "0.90-0.90");
  assert.equal(formatRange(null), "-");
});

Deno.test("formatCpu() prints one decimal or a dash", () => {
  assert.equal(formatCpu(8.649), "8.6");
  assert.equal(formatCpu(null), "-");
  assert.equal(formatCpu(NaN), "-");
});

Deno.test("renderTable() pads text left and numbers right under a rule", () => {
  const t = renderTable(["name", "n"], [["a", "10"], ["bbbbbb", "2"]], 1);
  assert.equal(t, "name   |  n\n-------+---\na      | 10\nbbbbbb |  2\n");
});

Deno.test("formatWrkTable() prints one line per row with MiB/s, latencies and ratios", () => {
  const t = formatWrkTable([
    row({}),
    row({ serverId: "nginx", server: "nginx", rps: 100000, ratio: 1, p99Ratio: 1 }),
    row({ serverId: "x", server: "no nginx", ratio: null, p99Ratio: null, p50Us: 2_000_000 }),
  ]);
  const lines = t.trimEnd().split("\n");
  assert.equal(lines.length, 5);
  assert.match(lines[0] ?? "", /^case +\| server +\| +req\/s \| MiB\/s \| +p50 \|/);
  assert.match(lines[0] ?? "", /\| server us\/req \| wrk us\/req$/);
  assert.match(
    lines[2] ?? "",
    /\| ours +\| 140000 \| +150\.0 \| +320us \| +1\.20ms \| +1\.40 \| 1\.28-1\.41 \| +0\.50 \| +8\.6 \| +6\.0$/,
  );
  assert.match(lines[3] ?? "", /\| 100000 \|.*\| +1\.00 \| 1\.28-1\.41 \| +1\.00 \|/);
  const none = formatWrkTable([row({ ratio: null, ratioRange: null, p99Ratio: null })]);
  assert.match(none.trimEnd().split("\n")[2] ?? "", /\| +- \| +- \| +- \| +8\.6 \|/);
  assert.match(lines[4] ?? "", /\| +2\.00s \|.*\| +- \| 1\.28-1\.41 \| +- \|/);
});

Deno.test("formatIdleTable() shows counts, RSS in MiB and KiB per connection", () => {
  const idle: IdleRow = {
    serverId: "ours",
    server: "ours",
    rounds: 1,
    requested: 10000,
    opened: 9990,
    servedAfter: 9980,
    rssBeforeKiB: 102400,
    rssAfterKiB: 204800,
    perConnKiB: 10.25,
    processes: 1,
    ratio: 20.5,
  };
  const line = formatIdleTable([idle]).split("\n")[2] ?? "";
  assert.match(line, /^ours +\| +1 \| 9990\/10000 \| +9980\/9990 \| +100\.0 MiB \| 200\.0 MiB \|/);
  assert.match(line, /\| +10\.25 \| +20\.50$/);
});

Deno.test("wrkWarnings() reports socket errors and unexpected statuses, not expected 404s", () => {
  const w = wrkWarnings([
    row({ socketErrors: 4 }),
    row({ non2xx3xx: 7 }),
    row({ caseId: "404-c50", caseTitle: "404 storm c50", non2xx3xx: 100 }),
  ], ["404-c50"]);
  assert.deepEqual(w, [
    "1 KiB keep-alive c50 / ours: 4 socket errors (all rounds)",
    "1 KiB keep-alive c50 / ours: 7 non-2xx/3xx responses",
  ]);
});

Deno.test("formatRevisionTable() prints ours against each older row with its range over rounds", () => {
  const r: RevisionRow = {
    caseId: "1k-c50",
    caseTitle: "1 KiB keep-alive c50",
    serverId: "ours",
    server: "ours",
    againstId: "ours@b50dee1",
    against: "ours @b50dee1",
    ratio: 1.0234,
    ratioRange: { min: 0.981, max: 1.062 },
    p99Ratio: 0.95,
    serverCpuUs: 7.24,
    againstCpuUs: 7.51,
  };
  const lines = formatRevisionTable([r, { ...r, ratio: null, ratioRange: null }]).trimEnd()
    .split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? "", /^case +\| server \| against +\| ratio \| +rounds \| p99 ratio \|/);
  assert.match(
    lines[2] ?? "",
    /^1 KiB keep-alive c50 \| ours +\| ours @b50dee1 \| +1\.02 \| 0\.98-1\.06 \| +0\.95 \| +7\.2 \| +7\.5$/,
  );
  assert.match(lines[3] ?? "", /\| ours @b50dee1 \| +- \| +- \| +0\.95 \|/);
});
