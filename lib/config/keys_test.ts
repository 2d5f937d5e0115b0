import assert from "node:assert/strict";
import { autoWorkers, isCachePattern, MAIN_KEYS, parsePath, parseStatusKey } from "./keys.ts";
import { RANGES } from "./defaults.ts";

Deno.test("autoWorkers() clamps the CPU count to the Workers range", () => {
  assert.deepEqual([0, 1, 2.9, 256, 300, NaN, -4].map(autoWorkers), [1, 1, 2, 256, 256, 1, 1]);
});

Deno.test("parseStatusKey() accepts three-digit codes 300..599 only", () => {
  assert.deepEqual(["300", "404", "599"].map(parseStatusKey), [300, 404, 599]);
  for (const k of ["299", "600", "40", "0404", "4o4", ""]) assert.equal(parseStatusKey(k), null, k);
});

Deno.test("isCachePattern() accepts *.ext, * and /path globs", () => {
  for (const p of ["*.css", "*.tar.gz", "*", "/", "/assets/*", "/a/*/b"]) {
    assert.ok(isCachePattern(p), p);
  }
  for (const p of ["css", "*css", "*.", "a/*", "/a b", "**"]) assert.ok(!isCachePattern(p), p);
});

Deno.test("parsePath() resolves against the base folder and rejects empty or NUL", () => {
  const ctx = { baseDir: "/b", cpus: 1 };
  assert.deepEqual(parsePath("x/y", ctx), { ok: true, value: "/b/x/y" });
  assert.deepEqual(parsePath("/abs", ctx), { ok: true, value: "/abs" });
  assert.equal(parsePath("", ctx).ok, false);
  assert.equal(parsePath("a\0b", ctx).ok, false);
});

Deno.test("MAIN_KEYS has a range in RANGES for every numeric key", () => {
  for (const key of Object.keys(RANGES)) assert.ok(Object.hasOwn(MAIN_KEYS, key), key);
});
