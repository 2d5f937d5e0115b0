import assert from "node:assert/strict";
import { WRK_CASES } from "./cases.ts";
import type { IdleResult } from "./idle.ts";
import {
  compareRevisions,
  median,
  summarizeIdle,
  summarizeWrk,
  type WrkRecord,
} from "./summary.ts";
import type { WrkResult } from "./wrk_output.ts";

const SERVERS = [
  { id: "ours", label: "ours" },
  { id: "nginx", label: "nginx" },
];

function result(rps: number, over: Partial<WrkResult> = {}): WrkResult {
  return {
    requests: rps * 5,
    seconds: 5,
    rps,
    bytesPerSec: rps * 1000,
    p50Us: 100,
    p75Us: 150,
    p90Us: 200,
    p99Us: rps / 100,
    socketErrors: { connect: 0, read: 1, write: 0, timeout: 0 },
    non2xx3xx: 0,
    ...over,
  };
}

function rec(
  round: number,
  caseId: string,
  serverId: string,
  r: WrkResult | null,
  cpu: WrkRecord["cpu"] = null,
): WrkRecord {
  return { round, caseId, serverId, result: r, cpu, error: r === null ? "failed" : null };
}

Deno.test("median() takes the middle value or the mean of the two middle values", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("summarizeWrk() takes medians over rounds and ratios to nginx", () => {
  const rows = summarizeWrk(
    [
      rec(1, "1k-c50", "ours", result(300)),
      rec(2, "1k-c50", "ours", result(100)),
      rec(3, "1k-c50", "ours", result(200)),
      rec(1, "1k-c50", "nginx", result(100)),
      rec(2, "1k-c50", "nginx", null),
    ],
    WRK_CASES.slice(0, 1),
    SERVERS,
  );
  assert.equal(rows.length, 2);
  const [ours, nginx] = rows;
  assert.equal(ours?.rps, 200);
  assert.equal(ours?.rounds, 3);
  assert.equal(ours?.ratio, 2);
  assert.equal(ours?.p99Ratio, 2);
  assert.equal(ours?.socketErrors, 3);
  assert.equal(nginx?.rounds, 1);
  assert.equal(nginx?.ratio, 1);
  assert.equal(ours?.serverCpuUs, null, "no CPU readings: no CPU columns");
});

Deno.test("summarizeWrk() gives server and wrk CPU per request, medians over measured rounds", () => {
  const rows = summarizeWrk(
    [
      // 1000 requests each: 8 ms of server CPU = 8 µs per request.
      rec(1, "1k-c50", "ours", result(200), { serverS: 0.008, wrkS: 0.006 }),
      rec(2, "1k-c50", "ours", result(200), { serverS: 0.010, wrkS: 0.005 }),
      rec(3, "1k-c50", "ours", result(200), null),
      rec(4, "1k-c50", "ours", result(200), { serverS: 0.012, wrkS: 0.007 }),
      rec(5, "1k-c50", "ours", null),
    ],
    WRK_CASES.slice(0, 1),
    SERVERS,
  );
  const ours = rows[0];
  assert.ok(Math.abs((ours?.serverCpuUs ?? 0) - 10) < 1e-9);
  assert.ok(Math.abs((ours?.wrkCpuUs ?? 0) - 6) < 1e-9);
});

Deno.test("summarizeWrk() pairs rounds for the ratio range, skipping rounds either side lost", () => {
  const rows = summarizeWrk(
    [
      rec(1, "1k-c50", "ours", result(150)),
      rec(1, "1k-c50", "nginx", result(100)),
      rec(2, "1k-c50", "ours", result(120)),
      rec(2, "1k-c50", "nginx", result(100)),
      rec(3, "1k-c50", "ours", result(999)), // nginx lost this round: not a pair
      rec(3, "1k-c50", "nginx", null),
      rec(4, "1k-c50", "ours", null), // ours lost this one
      rec(4, "1k-c50", "nginx", result(50)),
      rec(5, "1k-c50", "ours", result(140)),
      rec(5, "1k-c50", "nginx", result(80)),
    ],
    WRK_CASES.slice(0, 1),
    SERVERS,
  );
  const [ours, nginx] = rows;
  assert.deepEqual(ours?.ratioRange, { min: 1.2, max: 1.75 });
  assert.deepEqual(nginx?.ratioRange, { min: 1, max: 1 });
  const one = summarizeWrk(
    [rec(1, "1k-c50", "ours", result(150)), rec(1, "1k-c50", "nginx", result(100))],
    WRK_CASES.slice(0, 1),
    SERVERS,
  );
  assert.equal(one[0]?.ratioRange, null, "one paired round is no range");
});

Deno.test("summarizeWrk() judges the 10 MiB case by bytes per second", () => {
  const big = WRK_CASES.find((c) => c.metric === "mbps");
  assert.ok(big);
  const rows = summarizeWrk(
    [
      rec(1, big.id, "ours", result(10, { bytesPerSec: 3000 })),
      rec(1, big.id, "nginx", result(20, { bytesPerSec: 2000 })),
    ],
    [big],
    SERVERS,
  );
  assert.equal(rows[0]?.ratio, 1.5);
  const two = summarizeWrk(
    [
      rec(1, big.id, "ours", result(10, { bytesPerSec: 3000 })),
      rec(1, big.id, "nginx", result(20, { bytesPerSec: 2000 })),
      rec(2, big.id, "ours", result(10, { bytesPerSec: 2000 })),
      rec(2, big.id, "nginx", result(20, { bytesPerSec: 2000 })),
    ],
    [big],
    SERVERS,
  );
  assert.deepEqual(two[0]?.ratioRange, { min: 1, max: 1.5 }, "per round, by bytes too");
});

Deno.test("summarizeWrk() leaves ratios null without an nginx row and drops empty pairs", () => {
  const rows = summarizeWrk(
    [
      rec(1, "1k-c50", "ours", result(100)),
      rec(1, "64k-c50", "ours", null),
    ],
    WRK_CASES,
    SERVERS,
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.ratio, null);
  assert.equal(rows[0]?.p99Ratio, null);
  assert.equal(rows[0]?.ratioRange, null);
});

Deno.test("summarizeIdle() takes medians and the per-connection ratio to nginx", () => {
  const idle = (perConnKiB: number): IdleResult => ({
    requested: 100,
    opened: 100,
    servedAfter: 100,
    rssBeforeKiB: 1000,
    rssAfterKiB: 1000 + perConnKiB * 100,
    perConnKiB,
    processes: 1,
    openMs: 10,
    idleMs: 2000,
    errors: [],
  });
  const rows = summarizeIdle([
    { round: 1, serverId: "ours", result: idle(8), error: null },
    { round: 2, serverId: "ours", result: idle(12), error: null },
    { round: 1, serverId: "nginx", result: idle(2), error: null },
    { round: 2, serverId: "nginx", result: null, error: "boom" },
  ], SERVERS);
  assert.equal(rows[0]?.perConnKiB, 10);
  assert.equal(rows[0]?.ratio, 5);
  assert.equal(rows[1]?.rounds, 1);
});

Deno.test("compareRevisions() gives ours over its older revision, median and per round", () => {
  const servers = [...SERVERS, { id: "ours@b50dee1", label: "ours @b50dee1" }];
  const cpu = (us: number) => ({ serverS: us * 1e-6 * 1000, wrkS: 0.005 });
  const records = [
    rec(1, "1k-c50", "ours", result(220), cpu(7)),
    rec(1, "1k-c50", "ours@b50dee1", result(200), cpu(8)),
    rec(1, "1k-c50", "nginx", result(100)),
    rec(2, "1k-c50", "ours", result(180), cpu(7)),
    rec(2, "1k-c50", "ours@b50dee1", result(200), cpu(8)),
    rec(2, "1k-c50", "nginx", result(100)),
    rec(3, "1k-c50", "ours", result(200), cpu(7)),
    rec(3, "1k-c50", "ours@b50dee1", null), // lost: no pair this round
  ];
  const cases = WRK_CASES.slice(0, 1);
  const rows = summarizeWrk(records, cases, servers);
  const cmp = compareRevisions(rows, records, cases, [
    { id: "ours@b50dee1", revisionOf: "ours" },
  ]);
  assert.equal(cmp.length, 1);
  const [r] = cmp;
  assert.equal(r?.server, "ours");
  assert.equal(r?.against, "ours @b50dee1");
  assert.equal(r?.ratio, 1, "median 200 over median 200");
  assert.deepEqual(r?.ratioRange, { min: 0.9, max: 1.1 });
  assert.equal(r?.p99Ratio, 1);
  assert.ok(Math.abs((r?.serverCpuUs ?? 0) - 7) < 1e-9);
  assert.ok(Math.abs((r?.againstCpuUs ?? 0) - 8) < 1e-9);
});

Deno.test("compareRevisions() judges the 10 MiB case by bytes and skips pairs without numbers", () => {
  const big = WRK_CASES.find((c) => c.metric === "mbps");
  assert.ok(big);
  const servers = [
    { id: "ours", label: "ours" },
    { id: "ours@a", label: "ours @a" },
    { id: "ours-nosess", label: "ours (sessions off)" },
    { id: "ours-nosess@a", label: "ours (sessions off) @a" },
  ];
  const records = [
    rec(1, big.id, "ours", result(10, { bytesPerSec: 3000 })),
    rec(1, big.id, "ours@a", result(20, { bytesPerSec: 2000 })),
  ];
  const rows = summarizeWrk(records, [big], servers);
  const cmp = compareRevisions(rows, records, [big], [
    { id: "ours@a", revisionOf: "ours" },
    { id: "ours-nosess@a", revisionOf: "ours-nosess" },
  ]);
  assert.equal(cmp.length, 1, "the sessions-off pair did not run this case");
  assert.equal(cmp[0]?.ratio, 1.5);
  assert.equal(cmp[0]?.ratioRange, null, "one paired round is no range");
});
