import assert from "node:assert/strict";
import { parseWrkOutput, parseWrkSize, parseWrkTime, type WrkResult } from "./wrk_output.ts";
import { REPORT_404, REPORT_MIXED } from "./wrk_samples.ts";

Deno.test("parseWrkTime() converts us, ms, s, m and h to microseconds", () => {
  assert.equal(parseWrkTime("320.00us"), 320);
  assert.equal(parseWrkTime("1.20ms"), 1200);
  assert.equal(parseWrkTime("2.00s"), 2_000_000);
  assert.equal(parseWrkTime("1.50m"), 90_000_000);
  assert.equal(parseWrkTime("1.00h"), 3_600_000_000);
  assert.equal(parseWrkTime(" 5.00s "), 5_000_000);
});

Deno.test("parseWrkTime() rejects values without a known unit", () => {
  for (const bad of ["", "1.2", "1.2ns", "ms", "-1ms", "1e3us", "1.ms", "0x10us"]) {
    assert.equal(parseWrkTime(bad), null, bad);
  }
});

Deno.test("parseWrkSize() uses powers of 1024 like wrk", () => {
  assert.equal(parseWrkSize("512.00B"), 512);
  assert.equal(parseWrkSize("1.50KB"), 1536);
  assert.equal(parseWrkSize("2.00MB"), 2 * 1024 * 1024);
  assert.equal(parseWrkSize("1.00GB"), 1024 ** 3);
  assert.equal(parseWrkSize("1.00TB"), 1024 ** 4);
  assert.equal(parseWrkSize("3MiB"), null);
  assert.equal(parseWrkSize("MB"), null);
});

Deno.test("parseWrkOutput() reads a real report with non-2xx responses", () => {
  const r = parseWrkOutput(REPORT_404);
  assert.ok(!(r instanceof Error));
  assert.equal(r.requests, 1981);
  assert.equal(r.seconds, 1.1);
  assert.equal(r.rps, 1799.76);
  assert.equal(r.bytesPerSec, 0.89 * 1024 * 1024);
  assert.equal(r.p50Us, 910);
  assert.equal(r.p75Us, 1340);
  assert.equal(r.p90Us, 2760);
  assert.equal(r.p99Us, 6640);
  assert.equal(r.non2xx3xx, 1981);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
});

Deno.test("parseWrkOutput() reads microsecond and second latencies and socket errors", () => {
  const r = parseWrkOutput(REPORT_MIXED) as WrkResult;
  assert.equal(r.rps, 139753);
  assert.equal(r.p50Us, 320);
  assert.equal(r.p99Us, 1_200_000);
  assert.equal(r.seconds, 5);
  assert.equal(r.non2xx3xx, 0);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 12, write: 3, timeout: 7 });
});

Deno.test("parseWrkOutput() returns an Error when a line is missing or malformed", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /Requests\/sec/],
    [REPORT_MIXED.replace(/^Transfer.*$/m, ""), /Transfer\/sec/],
    [REPORT_MIXED.replace(/^.*requests in.*$/m, ""), /requests in/],
    [REPORT_MIXED.replace("  Latency Distribution\n", "").replace(/^ +\d+%.*$/gm, ""), /p50Us/],
    [REPORT_MIXED.replace("99%    1.20s", "99%    1.20xs"), /p99Us/],
    [REPORT_MIXED.replace("162.47MB", "162.47QB"), /bytesPerSec/],
  ];
  for (const [text, re] of cases) {
    const r = parseWrkOutput(text);
    assert.ok(r instanceof Error);
    assert.match(r.message, re);
  }
});
