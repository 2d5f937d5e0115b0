import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ByteRange,
  contentRange,
  parseRange,
  type RangeResult,
  unsatisfiedRange,
} from "./range.ts";

const OPTS = { maxRanges: 16 };
const HUGE = "99999999999999999999999";

/** Expected outcome: ranges as [start, end] pairs, "416", or "200" (ignore). */
type Want = Array<[number, number]> | "416" | "200";

function summary(r: RangeResult): Want {
  if (r.kind === "ignore") return "200";
  if (r.kind === "unsatisfiable") return "416";
  return r.ranges.map((x) => [x.start, x.end]);
}

function check(size: number, cases: Array<[string | undefined, Want]>, opts = OPTS): void {
  for (const [header, want] of cases) {
    assert.deepEqual(summary(parseRange(header, size, opts)), want, `${header} (size ${size})`);
  }
}

Deno.test("parseRange() handles the RFC 9110 §14.1.2 examples for 10000 bytes", () => {
  check(10000, [
    ["bytes=0-499", [[0, 499]]],
    ["bytes=500-999", [[500, 999]]],
    ["bytes=-500", [[9500, 9999]]],
    ["bytes=9500-", [[9500, 9999]]],
    ["bytes=0-0,-1", [[0, 0], [9999, 9999]]],
    ["bytes= 0-999, 4500-5499, -1000", [[0, 999], [4500, 5499], [9000, 9999]]],
    ["bytes=500-600,601-999", [[500, 999]]],
    ["bytes=500-700,601-999", [[500, 999]]],
  ]);
});

Deno.test("parseRange() ignores an absent header, other units and a missing '='", () => {
  check(10000, [
    [undefined, "200"],
    ["items=0-1", "200"],
    ["none", "200"],
    ["bytes", "200"],
    ["bytes 0-1", "200"],
    ["bytes =0-1", "200"],
    ["", "200"],
  ]);
});

Deno.test("parseRange() compares the unit case-insensitively", () => {
  check(10000, [["Bytes=0-1", [[0, 1]]], ["BYTES=0-1", [[0, 1]]]]);
});

Deno.test("parseRange() ignores a syntactically invalid byte-ranges-spec", () => {
  check(10000, [
    ["bytes=", "200"],
    ["bytes=,", "200"],
    ["bytes= , ", "200"],
    ["bytes=-", "200"],
    ["bytes=--1", "200"],
    ["bytes=0--1", "200"],
    ["bytes=a-b", "200"],
    ["bytes=0-b", "200"],
    ["bytes=+1-2", "200"],
    ["bytes=0x10-20", "200"],
    ["bytes=1.5-2", "200"],
    ["bytes=0 -1", "200"],
    ["bytes=0- 1", "200"],
    ["bytes=0-1;", "200"],
    ["bytes=0-1 2-3", "200"],
    ["bytes=0-1,x", "200"],
    ["bytes=0-1=", "200"],
    ["bytes=\u0661-2", "200"],
  ]);
});

Deno.test("parseRange() ignores bytes=10-5 because last-pos < first-pos is invalid", () => {
  check(10000, [["bytes=10-5", "200"], ["bytes=0-1, 10-5", "200"], ["bytes=1-0", "200"]]);
});

Deno.test("parseRange() accepts OWS and empty elements around commas", () => {
  check(10000, [
    ["bytes=0-1,,4-5", [[0, 1], [4, 5]]],
    ["bytes=,0-1", [[0, 1]]],
    ["bytes=0-1,", [[0, 1]]],
    ["bytes=0-1 ,\t4-5 ", [[0, 1], [4, 5]]],
  ]);
});

Deno.test("parseRange() clamps last-pos and suffix-length to the size (nginx range.t)", () => {
  check(10000, [
    ["bytes=0-9", [[0, 9]]],
    ["bytes=-10", [[9990, 9999]]],
    ["bytes=9990-", [[9990, 9999]]],
    ["bytes=0-10001", [[0, 9999]]],
    ["bytes=9999-10001", [[9999, 9999]]],
    ["bytes=-10001", [[0, 9999]]],
    ["bytes=-10000", [[0, 9999]]],
    ["bytes=0-", [[0, 9999]]],
    ["bytes=0-9, -10", [[0, 9], [9990, 9999]]],
  ]);
});

Deno.test("parseRange() answers 416 when no range is satisfiable", () => {
  check(10000, [
    ["bytes=10000-", "416"],
    ["bytes=10000-10001", "416"],
    ["bytes=20000-30000", "416"],
    ["bytes=-0", "416"],
    ["bytes=10000-, -0", "416"],
  ]);
});

Deno.test("parseRange() drops unsatisfiable ranges when another is satisfiable", () => {
  check(10000, [
    ["bytes=20000-, 0-1", [[0, 1]]],
    ["bytes=-0, 5-6", [[5, 6]]],
  ]);
});

Deno.test("parseRange() treats numbers past MAX_SAFE_INTEGER as huge", () => {
  check(10000, [
    [`bytes=0-${HUGE}`, [[0, 9999]]],
    [`bytes=${HUGE}-`, "416"],
    [`bytes=${HUGE}-${HUGE}`, "416"],
    [`bytes=-${HUGE}`, [[0, 9999]]],
    [`bytes=${HUGE}-1`, "200"],
    ["bytes=9007199254740991-", "416"],
    ["bytes=9007199254740992-9007199254740991", "200"],
    ["bytes=0000000000000000000000000001-0000000000000000000000000002", [[1, 2]]],
  ]);
});

Deno.test("parseRange() ignores bytes=0-10001, 0-0 when the ranges add up to more than the size", () => {
  check(10000, [
    ["bytes=0-10001, 0-0", "200"],
    ["bytes=0-,0-", "200"],
    ["bytes=-6000,0-4000", "200"],
    ["bytes=0-4999,5000-", [[0, 9999]]],
  ]);
});

Deno.test("parseRange() ignores more than maxRanges range-specs", () => {
  check(10000, [["bytes=0-0,2-2,4-4", "200"], ["bytes=0-0,2-2", [[0, 0], [2, 2]]]], {
    maxRanges: 2,
  });
  check(10000, [["bytes=0-0,2-2,4-4", [[0, 0], [2, 2], [4, 4]]]], { maxRanges: 3 });
  check(10000, [["bytes=0-0,,,2-2,", [[0, 0], [2, 2]]]], { maxRanges: 2 });
  check(10000, [["bytes=20000-,20001-,0-1", "200"]], { maxRanges: 2 });
});

Deno.test("parseRange() ignores every Range when maxRanges is 0", () => {
  check(10000, [["bytes=0-1", "200"]], { maxRanges: 0 });
});

Deno.test("parseRange() does not read past maxRanges specs before ignoring", () => {
  const header = "bytes=" + "0-0,".repeat(100_000) + "junk";
  assert.deepEqual(parseRange(header, 10, { maxRanges: 5 }), {
    kind: "ignore",
    reason: "more ranges than max_ranges",
  });
});

Deno.test("parseRange() ignores Range on an empty representation", () => {
  check(0, [["bytes=0-0", "200"], ["bytes=-1", "200"], ["bytes=0-", "200"]]);
});

Deno.test("parseRange() handles a one-byte representation", () => {
  check(1, [
    ["bytes=0-0", [[0, 0]]],
    ["bytes=0-", [[0, 0]]],
    ["bytes=-5", [[0, 0]]],
    ["bytes=1-", "416"],
    ["bytes=0-0,-1", "200"],
  ]);
});

Deno.test("parseRange() keeps client order and merges only ascending overlaps", () => {
  check(10000, [
    ["bytes=9000-9999,0-999", [[9000, 9999], [0, 999]]],
    ["bytes=500-999,0-499", [[500, 999], [0, 499]]],
    ["bytes=0-1,2-3,4-5", [[0, 5]]],
    ["bytes=0-1,3-4", [[0, 1], [3, 4]]],
    ["bytes=0-10,5-6", [[0, 10]]],
    ["bytes=0-1,5-6,2-3", [[0, 1], [5, 6], [2, 3]]],
    ["bytes=0-1,1-2,-1", [[0, 2], [9999, 9999]]],
  ]);
});

Deno.test("parseRange() throws RangeError for a bad size or maxRanges", () => {
  assert.throws(() => parseRange("bytes=0-1", -1, OPTS), RangeError);
  assert.throws(() => parseRange("bytes=0-1", 1.5, OPTS), RangeError);
  assert.throws(() => parseRange("bytes=0-1", Number.NaN, OPTS), RangeError);
  assert.throws(() => parseRange("bytes=0-1", 10, { maxRanges: -1 }), RangeError);
});

Deno.test("parseRange() never throws and returns only ranges inside the representation", () => {
  const spec = fc.oneof(
    fc.tuple(fc.nat(20000), fc.option(fc.nat(20000))).map(([a, b]) => `${a}-${b ?? ""}`),
    fc.nat(20000).map((n) => `-${n}`),
    fc.constantFrom(HUGE + "-", "-" + HUGE, "0-" + HUGE, "-", "x", "", " "),
  );
  const header = fc.oneof(
    fc.array(spec, { maxLength: 8 }).map((s) => "bytes=" + s.join(",")),
    fc.string({ maxLength: 30 }),
    fc.string({ maxLength: 30 }).map((s) => "bytes=" + s),
  );
  fc.assert(
    fc.property(header, fc.nat(15000), fc.nat(10), (h, size, maxRanges) => {
      const r = parseRange(h, size, { maxRanges });
      if (r.kind !== "ranges") return;
      assert.ok(r.ranges.length >= 1 && r.ranges.length <= maxRanges);
      let total = 0;
      for (const x of r.ranges) {
        assert.ok(Number.isSafeInteger(x.start) && Number.isSafeInteger(x.end));
        assert.ok(0 <= x.start && x.start <= x.end && x.end < size, JSON.stringify(x));
        total += x.end - x.start + 1;
      }
      assert.ok(total <= size);
    }),
    { numRuns: 5000 },
  );
});

Deno.test("parseRange() matches a byte-set model for one well-formed range", () => {
  fc.assert(
    fc.property(
      fc.nat(300),
      fc.option(fc.nat(300)),
      fc.integer({ min: 1, max: 250 }),
      (a, b, size) => {
        const r = parseRange(`bytes=${a}-${b ?? ""}`, size, OPTS);
        if (b !== null && b < a) return assert.equal(r.kind, "ignore");
        const last = b === null ? size - 1 : Math.min(b, size - 1);
        if (a > last) return assert.equal(r.kind, "unsatisfiable");
        assert.deepEqual(r, { kind: "ranges", ranges: [{ start: a, end: last }] });
      },
    ),
  );
});

Deno.test("contentRange() and unsatisfiedRange() format RFC 9110 §14.4 values", () => {
  const r: ByteRange = { start: 0, end: 99 };
  assert.equal(contentRange(r, 1000), "bytes 0-99/1000");
  assert.equal(contentRange({ start: 9999, end: 9999 }, 10000), "bytes 9999-9999/10000");
  assert.equal(unsatisfiedRange(1000), "bytes */1000");
});
