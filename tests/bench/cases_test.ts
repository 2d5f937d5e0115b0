import assert from "node:assert/strict";
import {
  BENCH_FILES,
  FILE_MTIME,
  offsetBytes,
  rangeMixScript,
  selectCases,
  WRK_CASES,
} from "./cases.ts";

Deno.test("offsetBytes() writes each 16-byte row as its zero-padded offset and a newline", () => {
  const b = new TextDecoder().decode(offsetBytes(40));
  assert.equal(b, "000000000000000\n000000000000016\n00000000");
});

Deno.test("offsetBytes() fills exactly the requested size", () => {
  for (const f of BENCH_FILES) assert.equal(offsetBytes(f.size).length, f.size);
  assert.equal(offsetBytes(0).length, 0);
});

Deno.test("rangeMixScript() pre-formats one request per Range value and cycles", () => {
  const lua = rangeMixScript("/range.bin", ["bytes=0-9", "bytes=-5"]);
  assert.match(lua, /local ranges = \{ "bytes=0-9", "bytes=-5" \}/);
  assert.match(lua, /wrk\.format\("GET", "\/range\.bin", \{ \["Range"\] = r \}\)/);
  assert.match(lua, /i = i % #requests \+ 1/);
});

Deno.test("WRK_CASES have unique ids and every requested file exists or is the 404 case", () => {
  const ids = WRK_CASES.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  const names = BENCH_FILES.map((f) => `/${f.name}`);
  for (const c of WRK_CASES) {
    assert.equal(names.includes(c.path), c.expectStatus !== 404, c.id);
  }
});

Deno.test("the revalidation case sends the generated files' exact Last-Modified date", () => {
  const c = WRK_CASES.find((x) => x.id === "304-c50");
  assert.deepEqual(c?.headers, [`If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT`]);
  assert.equal(FILE_MTIME.getTime() % 1000, 0, "whole seconds, as HTTP dates are");
});

Deno.test("selectCases() keeps listed ids in case order, all for null", () => {
  assert.equal(selectCases(WRK_CASES, null).length, WRK_CASES.length);
  assert.deepEqual(selectCases(WRK_CASES, ["404-c50", "1k-c50"]).map((c) => c.id), [
    "1k-c50",
    "404-c50",
  ]);
});
