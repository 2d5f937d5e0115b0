import assert from "node:assert/strict";
import { iso, oneLine, waitText } from "./words.ts";

Deno.test("oneLine() folds a multi-line CA error into one bounded line", () => {
  assert.equal(
    oneLine(new Error("Invalid response\n  from http://x/:\t404")),
    "Invalid response from http://x/: 404",
  );
  assert.equal(oneLine("plain"), "plain");
  assert.equal(oneLine("x".repeat(600)), "x".repeat(500) + "...");
});

Deno.test("iso() and waitText() spell times and waits", () => {
  assert.equal(iso(Date.UTC(2031, 11, 7, 3, 57, 32, 999)), "2031-12-07T03:57:32Z");
  assert.deepEqual([1000, 90_000, 600_000, 7_200_000, 5400_000].map(waitText), [
    "1s",
    "90s",
    "10m",
    "2h",
    "90m",
  ]);
});
