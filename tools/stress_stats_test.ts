import assert from "node:assert/strict";
import {
  formatUs,
  isLoopback,
  LatencyHistogram,
  LIMITS,
  newTally,
  stressOptions,
  summary,
} from "./stress_stats.ts";

Deno.test("isLoopback() allows localhost, 127.0.0.0/8 and ::1 only", () => {
  for (
    const h of [
      "localhost",
      "LOCALHOST",
      "127.0.0.1",
      "127.9.8.7",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]
  ) {
    assert.ok(isLoopback(h), h);
  }
  for (
    const h of ["example.com", "10.0.0.1", "0.0.0.0", "::", "128.0.0.1", "localhost.example.com"]
  ) {
    assert.ok(!isLoopback(h), h);
  }
});

Deno.test("LatencyHistogram percentiles are within 2% of the exact nearest rank", () => {
  const h = new LatencyHistogram();
  const values = Array.from({ length: 10_000 }, (_, i) => 50 + i * 7.3); // 50us .. 73ms
  for (const v of [...values].reverse()) h.record(v);
  for (const p of [50, 90, 99, 99.9, 100]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
    const got = h.percentile(p);
    assert.ok(got >= exact && got <= exact * 1.02, `p${p}: ${got} vs ${exact}`);
  }
  assert.equal(h.maxUs, values[values.length - 1]);
  assert.equal(new LatencyHistogram().percentile(50), 0);
  const tiny = new LatencyHistogram();
  tiny.record(3);
  assert.equal(tiny.percentile(99), 3, "never above the maximum");
});

Deno.test("stressOptions() applies defaults and refuses values out of bounds", () => {
  const o = stressOptions("http://127.0.0.1:1", {}, ["/a"]);
  assert.deepEqual([o.clients, o.seconds, o.requests, o.methods, o.paths], [16, 10, Infinity, [
    "GET",
    "HEAD",
    "POST",
  ], ["/a"]]);
  const bad: Array<Record<string, string>> = [
    { clients: "0" },
    { clients: String(LIMITS.clients.max + 1) },
    { duration: "3601" },
    { duration: "1.5" },
    { requests: "0" },
    { methods: "GET,DELETE" },
    { methods: "" },
    { paths: "a.html" },
    { timeout: "5" },
  ];
  for (const v of bad) {
    assert.throws(() => stressOptions("http://x", v, ["/"]), RangeError, JSON.stringify(v));
  }
  assert.deepEqual(stressOptions("u", { methods: "get, head", paths: "/x,/y" }, []).methods, [
    "GET",
    "HEAD",
  ]);
});

Deno.test("summary() lists requests, errors by kind, statuses and percentiles", () => {
  const t = newTally();
  t.requests = 3;
  t.errors = 1;
  t.statuses.set(200, 2);
  t.failures.set("timeout", 1);
  t.latency.record(500);
  t.latency.record(1500);
  const o = stressOptions("http://127.0.0.1:1", { clients: "2" }, ["/a"]);
  const s = summary(o, t, 2);
  assert.match(
    s,
    /^stress http:\/\/127\.0\.0\.1:1: 2 clients, 2\.0 s, GET\/HEAD\/POST of 1 path\(s\)$/m,
  );
  assert.match(s, /^requests {2}3 \(1\.5\/s\)$/m);
  assert.match(s, /^errors {4}1 \(timeout: 1\)$/m);
  assert.match(s, /^statuses {2}200: 2$/m);
  assert.match(s, /^latency {3}p50 \d+us .* max 1\.5ms$/m);
  assert.deepEqual([formatUs(850), formatUs(12_340), formatUs(1_200_000)], [
    "850us",
    "12.3ms",
    "1.20s",
  ]);
});
