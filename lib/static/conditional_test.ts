import assert from "node:assert/strict";
import {
  type ConditionalHeaders,
  type ConditionalResult,
  evaluateConditionals,
  ifRangeAllows,
  RETAINED_304_HEADERS,
  type Validators,
} from "./conditional.ts";

const LM = Date.UTC(1994, 10, 6, 8, 49, 37); // Sun, 06 Nov 1994 08:49:37 GMT
const LM_TEXT = "Sun, 06 Nov 1994 08:49:37 GMT";
const BEFORE_TEXT = "Sun, 06 Nov 1994 08:49:36 GMT";
const AFTER_TEXT = "Sun, 06 Nov 1994 08:49:38 GMT";

const FILE: Validators = { etag: '"a"', lastModifiedMs: LM, exists: true };
const WEAK_FILE: Validators = { etag: 'W/"a"', lastModifiedMs: LM, exists: true };
const MISSING: Validators = { etag: null, lastModifiedMs: null, exists: false };
const NO_VALIDATORS: Validators = { etag: null, lastModifiedMs: null, exists: true };

type Case = [string, string, ConditionalHeaders, Validators, ConditionalResult];

function check(cases: Case[]): void {
  for (const [name, method, h, v, want] of cases) {
    assert.equal(evaluateConditionals(method, h, v), want, name);
  }
}

Deno.test("evaluateConditionals() proceeds when there are no preconditions", () => {
  check([
    ["none GET", "GET", {}, FILE, "proceed"],
    ["none PUT missing", "PUT", {}, MISSING, "proceed"],
    ["all undefined", "GET", { ifMatch: undefined, ifNoneMatch: undefined }, FILE, "proceed"],
  ]);
});

Deno.test("evaluateConditionals() evaluates If-Match with strong comparison", () => {
  check([
    ["* on existing", "PUT", { ifMatch: "*" }, FILE, "proceed"],
    ["* on missing", "PUT", { ifMatch: "*" }, MISSING, 412],
    ["same tag", "PUT", { ifMatch: '"a"' }, FILE, "proceed"],
    ["tag in list", "DELETE", { ifMatch: '"x", "a"' }, FILE, "proceed"],
    ["other tag", "PUT", { ifMatch: '"b"' }, FILE, 412],
    ["weak request tag", "PUT", { ifMatch: 'W/"a"' }, FILE, 412],
    ["weak current tag", "PUT", { ifMatch: '"a"' }, WEAK_FILE, 412],
    ["tag on missing", "PUT", { ifMatch: '"a"' }, MISSING, 412],
    ["no current ETag", "GET", { ifMatch: '"a"' }, NO_VALIDATORS, 412],
    ["syntax error counts as no match", "PUT", { ifMatch: "a" }, FILE, 412],
    ["empty list", "PUT", { ifMatch: "" }, FILE, 412],
    ["GET with failing If-Match", "GET", { ifMatch: '"b"' }, FILE, 412],
  ]);
});

Deno.test("evaluateConditionals() evaluates If-Unmodified-Since only without If-Match", () => {
  check([
    ["modified before date", "PUT", { ifUnmodifiedSince: AFTER_TEXT }, FILE, "proceed"],
    ["modified at date", "PUT", { ifUnmodifiedSince: LM_TEXT }, FILE, "proceed"],
    ["modified after date", "PUT", { ifUnmodifiedSince: BEFORE_TEXT }, FILE, 412],
    ["unparsable date is ignored", "PUT", { ifUnmodifiedSince: "yesterday" }, FILE, "proceed"],
    ["no Last-Modified", "PUT", { ifUnmodifiedSince: BEFORE_TEXT }, NO_VALIDATORS, "proceed"],
    ["missing resource", "PUT", { ifUnmodifiedSince: BEFORE_TEXT }, MISSING, "proceed"],
    [
      "ignored when If-Match passes",
      "PUT",
      { ifMatch: '"a"', ifUnmodifiedSince: BEFORE_TEXT },
      FILE,
      "proceed",
    ],
  ]);
});

Deno.test("evaluateConditionals() compares If-Unmodified-Since at whole seconds", () => {
  const v = { ...FILE, lastModifiedMs: LM + 999 };
  assert.equal(evaluateConditionals("PUT", { ifUnmodifiedSince: LM_TEXT }, v), "proceed");
});

Deno.test("evaluateConditionals() evaluates If-None-Match with weak comparison", () => {
  check([
    ["same tag GET", "GET", { ifNoneMatch: '"a"' }, FILE, 304],
    ["same tag HEAD", "HEAD", { ifNoneMatch: '"a"' }, FILE, 304],
    ["weak request tag", "GET", { ifNoneMatch: 'W/"a"' }, FILE, 304],
    ["weak current tag", "GET", { ifNoneMatch: '"a"' }, WEAK_FILE, 304],
    ["tag in list", "GET", { ifNoneMatch: '"x", W/"a"' }, FILE, 304],
    ["other tag", "GET", { ifNoneMatch: '"b"' }, FILE, "proceed"],
    ["match on POST", "POST", { ifNoneMatch: '"a"' }, FILE, 412],
    ["match on DELETE", "DELETE", { ifNoneMatch: '"a"' }, FILE, 412],
    ["methods are case-sensitive", "get", { ifNoneMatch: '"a"' }, FILE, 412],
    ["* GET existing", "GET", { ifNoneMatch: "*" }, FILE, 304],
    ["* PUT existing (lost update)", "PUT", { ifNoneMatch: "*" }, FILE, 412],
    ["* PUT missing (create)", "PUT", { ifNoneMatch: "*" }, MISSING, "proceed"],
    ["tag on missing", "GET", { ifNoneMatch: '"a"' }, MISSING, "proceed"],
    ["syntax error counts as no match", "GET", { ifNoneMatch: '"a' }, FILE, "proceed"],
    ["empty list", "GET", { ifNoneMatch: "" }, FILE, "proceed"],
  ]);
});

Deno.test("evaluateConditionals() evaluates If-Modified-Since only for GET/HEAD without If-None-Match", () => {
  check([
    ["not modified since (equal)", "GET", { ifModifiedSince: LM_TEXT }, FILE, 304],
    ["not modified since (later)", "HEAD", { ifModifiedSince: AFTER_TEXT }, FILE, 304],
    ["modified since", "GET", { ifModifiedSince: BEFORE_TEXT }, FILE, "proceed"],
    ["POST ignores it", "POST", { ifModifiedSince: AFTER_TEXT }, FILE, "proceed"],
    ["PUT ignores it", "PUT", { ifModifiedSince: AFTER_TEXT }, FILE, "proceed"],
    ["unparsable", "GET", { ifModifiedSince: "Sun, 06 Nov 1994" }, FILE, "proceed"],
    ["list of dates", "GET", { ifModifiedSince: `${LM_TEXT}, ${LM_TEXT}` }, FILE, "proceed"],
    ["asctime form", "GET", { ifModifiedSince: "Sun Nov  6 08:49:37 1994" }, FILE, 304],
    ["no Last-Modified", "GET", { ifModifiedSince: AFTER_TEXT }, NO_VALIDATORS, "proceed"],
    ["missing resource", "GET", { ifModifiedSince: AFTER_TEXT }, MISSING, "proceed"],
    [
      "ignored when If-None-Match does not match",
      "GET",
      { ifNoneMatch: '"b"', ifModifiedSince: AFTER_TEXT },
      FILE,
      "proceed",
    ],
    [
      "ignored when If-None-Match is invalid",
      "GET",
      { ifNoneMatch: "junk", ifModifiedSince: AFTER_TEXT },
      FILE,
      "proceed",
    ],
  ]);
});

Deno.test("evaluateConditionals() compares If-Modified-Since at whole seconds", () => {
  const v = { ...FILE, lastModifiedMs: LM + 999 };
  assert.equal(evaluateConditionals("GET", { ifModifiedSince: LM_TEXT }, v), 304);
  const later = { ...FILE, lastModifiedMs: LM + 1000 };
  assert.equal(evaluateConditionals("GET", { ifModifiedSince: LM_TEXT }, later), "proceed");
});

Deno.test("evaluateConditionals() follows the RFC 9110 §13.2.2 order", () => {
  check([
    [
      "If-Match fails before If-None-Match",
      "GET",
      { ifMatch: '"b"', ifNoneMatch: '"a"' },
      FILE,
      412,
    ],
    [
      "If-Unmodified-Since fails before If-None-Match",
      "GET",
      { ifUnmodifiedSince: BEFORE_TEXT, ifNoneMatch: '"a"' },
      FILE,
      412,
    ],
    [
      "If-Match passes, If-None-Match matches",
      "GET",
      {
        ifMatch: '"a"',
        ifNoneMatch: '"a"',
      },
      FILE,
      304,
    ],
    [
      "If-Match passes, If-Modified-Since not modified",
      "GET",
      { ifMatch: "*", ifModifiedSince: LM_TEXT },
      FILE,
      304,
    ],
    [
      "If-None-Match wins over If-Modified-Since",
      "GET",
      { ifNoneMatch: '"b"', ifModifiedSince: LM_TEXT },
      FILE,
      "proceed",
    ],
    [
      "If-Unmodified-Since passes, If-Modified-Since not modified",
      "GET",
      { ifUnmodifiedSince: LM_TEXT, ifModifiedSince: LM_TEXT },
      FILE,
      304,
    ],
  ]);
});

Deno.test("RETAINED_304_HEADERS lists the RFC 9110 §15.4.5 fields in lower case", () => {
  assert.deepEqual(
    [...RETAINED_304_HEADERS].sort(),
    ["cache-control", "content-location", "date", "etag", "expires", "vary"],
  );
  assert.equal(RETAINED_304_HEADERS.has("content-length"), false);
  assert.equal(RETAINED_304_HEADERS.has("last-modified"), false);
});

Deno.test("ifRangeAllows() follows RFC 9110 §13.1.5", () => {
  const cases: Array<[string, string | undefined, Validators, boolean]> = [
    ["absent", undefined, FILE, true],
    ["absent on missing", undefined, MISSING, true],
    ["same strong tag", '"a"', FILE, true],
    ["other tag", '"b"', FILE, false],
    ["weak request tag", 'W/"a"', FILE, false],
    ["weak current tag", '"a"', WEAK_FILE, false],
    ["no current tag", '"a"', NO_VALIDATORS, false],
    ["malformed tag", '"a', FILE, false],
    ["tag list", '"a", "b"', FILE, false],
    ["exact date", LM_TEXT, FILE, true],
    ["asctime date", "Sun Nov  6 08:49:37 1994", FILE, true],
    ["earlier date", BEFORE_TEXT, FILE, false],
    ["later date", AFTER_TEXT, FILE, false],
    ["date without Last-Modified", LM_TEXT, NO_VALIDATORS, false],
    ["garbage", "yesterday", FILE, false],
    ["empty", "", FILE, false],
    ["tag on missing", '"a"', MISSING, false],
  ];
  for (const [name, ifRange, v, want] of cases) assert.equal(ifRangeAllows(ifRange, v), want, name);
});

Deno.test("ifRangeAllows() compares dates at whole seconds", () => {
  assert.equal(ifRangeAllows(LM_TEXT, { ...FILE, lastModifiedMs: LM + 999 }), true);
  assert.equal(ifRangeAllows(LM_TEXT, { ...FILE, lastModifiedMs: LM + 1000 }), false);
});
