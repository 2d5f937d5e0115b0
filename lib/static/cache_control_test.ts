import assert from "node:assert/strict";
import { cacheControlFor, compileCacheRules, globToRegExp } from "./cache_control.ts";

const rules = [
  { pattern: "/media/*", value: "public, max-age=86400" },
  { pattern: "*.css", value: "public, max-age=3600" },
  { pattern: "/exact.txt", value: "no-store" },
  { pattern: "*.min.*", value: "immutable" },
];

Deno.test("compileCacheRules() matches *.ext on the file name and /globs on the path, first rule wins", () => {
  const cc = compileCacheRules(rules);
  const cases: Array<[string, string | null]> = [
    ["/style.css", "public, max-age=3600"],
    ["/media/style.css", "public, max-age=86400"],
    ["/media/a/b.webm", "public, max-age=86400"],
    ["/exact.txt", "no-store"],
    ["/dir/exact.txt", null],
    ["/app.min.js", "immutable"],
    ["/css", null],
    ["/style.css.map", null],
    ["/a.CSS", null],
  ];
  for (const [path, want] of cases) assert.equal(cc(path), want, path);
});

Deno.test("globToRegExp() escapes regular-expression characters", () => {
  assert.equal(globToRegExp("a+(b).txt").test("a+(b).txt"), true);
  assert.equal(globToRegExp("a.txt").test("abtxt"), false);
  assert.equal(globToRegExp("[x]*").test("[x]yz"), true);
});

Deno.test("cacheControlFor() gives null with no rules", () => {
  assert.equal(cacheControlFor([], "/a.css"), null);
  assert.equal(cacheControlFor(rules, "/a.css"), "public, max-age=3600");
});
