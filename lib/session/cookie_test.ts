import assert from "node:assert/strict";
import { findCookie, isCookieName, isCookieValue, setCookie } from "./cookie.ts";

Deno.test("findCookie() finds a cookie among others, trimming spaces and tabs", () => {
  assert.equal(findCookie("a=1; sid=xyz; b=2", "sid"), "xyz");
  assert.equal(findCookie("sid=first; sid=second", "sid"), "first");
  assert.equal(findCookie(" \tsid = xyz \t", "sid"), "xyz");
  assert.equal(findCookie("a=1;sid=x", "sid"), "x");
  assert.equal(findCookie('sid="quoted"', "sid"), "quoted");
  assert.equal(findCookie("sid=", "sid"), "");
  assert.equal(findCookie("sid=a=b", "sid"), "a=b");
});

Deno.test("findCookie() returns null for other names, prefixes and pairs without =", () => {
  for (const f of ["", "sidx=1", "xsid=1", "sid", "; ;", "a=1; b=2", "SID=1"]) {
    assert.equal(findCookie(f, "sid"), null, f);
  }
});

Deno.test("isCookieName() and isCookieValue() follow RFC 6265 §4.1.1", () => {
  assert.ok(isCookieName("sid") && isCookieName("__Host-x") && isCookieName("a.b"));
  for (const n of ["", "a b", "a;b", "a=b", "a,b", 'a"b', "é"]) assert.ok(!isCookieName(n), n);
  assert.ok(isCookieValue("") && isCookieValue("AZaz09-_!#$%&'()*+./:<=>?@[]^`{|}~"));
  for (const v of ["a b", "a;b", "a,b", 'a"b', "a\\b", "a\x7f", "é"]) {
    assert.ok(!isCookieValue(v), v);
  }
});

Deno.test("setCookie() builds the session cookie with Path, HttpOnly, SameSite and Secure", () => {
  assert.equal(setCookie("sid", "abc"), "sid=abc; Path=/; HttpOnly; SameSite=Lax");
  assert.equal(
    setCookie("sid", "abc", { secure: true }),
    "sid=abc; Path=/; HttpOnly; SameSite=Lax; Secure",
  );
  assert.equal(
    setCookie("s", "v", { path: "/app", maxAgeS: 60.7, httpOnly: false, sameSite: "None" }),
    "s=v; Path=/app; Max-Age=60; SameSite=None; Secure",
  );
});

Deno.test("setCookie() throws TypeError on a bad name, value or path", () => {
  assert.throws(() => setCookie("a b", "v"), TypeError);
  assert.throws(() => setCookie("sid", "v;Path=/x"), TypeError);
  assert.throws(() => setCookie("sid", "v\r\nX: y"), TypeError);
  assert.throws(() => setCookie("sid", "v", { path: "/; Domain=evil" }), TypeError);
});
