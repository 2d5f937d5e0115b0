import assert from "node:assert/strict";
import type { ResponsePlan } from "../static/plan.ts";
import { inCookieScope } from "./sessions.ts";

function plan(status: number, type: string | null): ResponsePlan {
  return {
    status,
    fields: type === null ? [] : [["Content-Type", type]],
    body: { kind: "none" },
  };
}

Deno.test("inCookieScope() html: 2xx HTML documents only", () => {
  const yes: Array<[number, string]> = [
    [200, "text/html; charset=utf-8"],
    [206, "TEXT/HTML"],
    [201, "application/xhtml+xml"],
  ];
  for (const [status, type] of yes) assert.ok(inCookieScope("html", "/", plan(status, type)));
  const no: Array<[number, string | null]> = [
    [200, "text/css; charset=utf-8"],
    [200, "image/png"],
    [200, "text/htmlx"],
    [200, null],
    [304, null],
    [404, "text/html; charset=utf-8"],
    [301, "text/html"],
  ];
  for (const [status, type] of no) {
    assert.ok(!inCookieScope("html", "/", plan(status, type)), `${status} ${type}`);
  }
});

Deno.test("inCookieScope() all, and URL path prefixes matched on the path of the target", () => {
  assert.ok(inCookieScope("all", "/x.png", plan(404, null)));
  const scope = ["/app/", "/account"];
  for (const t of ["/app/", "/app/x.png?a=/b", "/accounts", "http://h/app/x", "/account"]) {
    assert.ok(inCookieScope(scope, t, plan(200, "image/png")), t);
  }
  for (const t of ["/", "/ap", "/x?/app/", "http://h/", "http://h", "*"]) {
    assert.ok(!inCookieScope(scope, t, plan(200, "text/html")), t);
  }
});
