import assert from "node:assert/strict";
import { parseBounded, parseOptions, parseRevs } from "./options.ts";

const KNOWN = { servers: ["ours", "nginx"], cases: ["1k-c50", "idle"] };

Deno.test("parseOptions() uses 5 s, 3 rounds, 10000 idle connections by default", () => {
  assert.deepEqual(parseOptions({}, KNOWN), {
    seconds: 5,
    rounds: 3,
    idleConnections: 10000,
    threads: 2,
    servers: null,
    cases: null,
    keepTmp: false,
    revs: [],
  });
});

Deno.test("parseOptions() reads BENCH_* variables", () => {
  const o = parseOptions({
    BENCH_SECONDS: "3",
    BENCH_ROUNDS: "1",
    BENCH_IDLE: "0",
    BENCH_SERVERS: "nginx, ours",
    BENCH_CASES: "idle",
    BENCH_KEEP_TMP: "1",
    BENCH_REVS: "HEAD~1,b50dee1",
  }, KNOWN);
  assert.equal(o.seconds, 3);
  assert.equal(o.rounds, 1);
  assert.equal(o.idleConnections, 0);
  assert.deepEqual(o.servers, ["nginx", "ours"]);
  assert.deepEqual(o.cases, ["idle"]);
  assert.equal(o.keepTmp, true);
  assert.deepEqual(o.revs, ["HEAD~1", "b50dee1"]);
});

Deno.test("parseOptions() rejects bad numbers and unknown ids naming the variable", () => {
  assert.throws(() => parseOptions({ BENCH_SECONDS: "0" }, KNOWN), /BENCH_SECONDS="0"/);
  assert.throws(() => parseOptions({ BENCH_ROUNDS: "3x" }, KNOWN), /BENCH_ROUNDS/);
  assert.throws(() => parseOptions({ BENCH_SERVERS: "apache" }, KNOWN), /unknown id "apache"/);
  assert.throws(() => parseOptions({ BENCH_CASES: "1k" }, KNOWN), RangeError);
});

Deno.test("parseBounded() accepts digits within range and rejects the rest", () => {
  const r = { min: 1, max: 100 };
  assert.equal(parseBounded("X", "1", r), 1);
  assert.equal(parseBounded("X", "100", r), 100);
  for (const bad of ["", "0", "101", "-1", "+5", " 5", "5s", "1e2", "99999999999999999999"]) {
    assert.throws(() => parseBounded("X", bad, r), RangeError, bad);
  }
});

Deno.test("parseRevs() keeps revisions in order, trimmed, without empties or duplicates", () => {
  assert.deepEqual(parseRevs(undefined), []);
  assert.deepEqual(parseRevs(""), []);
  assert.deepEqual(parseRevs(" HEAD~1 , ,main,HEAD~1"), ["HEAD~1", "main"]);
  assert.deepEqual(parseRevs("v1.2^{commit},origin/main,@~2"), [
    "v1.2^{commit}",
    "origin/main",
    "@~2",
  ]);
});

Deno.test("parseRevs() refuses what git could read as an option, spaces and control bytes", () => {
  for (const bad of ["--output=/etc/passwd", "-b", "HEAD ~1", "a\tb", "a\u0000b", "a\u007fb"]) {
    assert.throws(() => parseRevs(bad), /Cannot use BENCH_REVS: ".*" is not a git revision/, bad);
  }
  assert.throws(() => parseOptions({ BENCH_REVS: "HEAD,-x" }, KNOWN), RangeError);
});
