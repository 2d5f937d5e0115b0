import assert from "node:assert/strict";
import fc from "fast-check";
import { DateCache, formatHttpDate, parseHttpDate } from "./http_date.ts";

const RFC_EXAMPLE_MS = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW_2024 = Date.UTC(2024, 5, 1);
const YEAR_0_MS = -62167219200000; // 0000-01-01T00:00:00Z

Deno.test("formatHttpDate() formats the RFC 9110 example as IMF-fixdate", () => {
  assert.equal(formatHttpDate(RFC_EXAMPLE_MS), "Sun, 06 Nov 1994 08:49:37 GMT");
});

Deno.test("formatHttpDate() formats the epoch, leap days and pre-epoch times", () => {
  const cases: Array<[number, string]> = [
    [0, "Thu, 01 Jan 1970 00:00:00 GMT"],
    [-1, "Wed, 31 Dec 1969 23:59:59 GMT"],
    [Date.UTC(2000, 1, 29, 12, 0, 5), "Tue, 29 Feb 2000 12:00:05 GMT"],
    [Date.UTC(2024, 1, 29, 23, 59, 59, 999), "Thu, 29 Feb 2024 23:59:59 GMT"],
    [Date.UTC(9999, 11, 31, 23, 59, 59), "Fri, 31 Dec 9999 23:59:59 GMT"],
    [Date.UTC(1900, 0, 1), "Mon, 01 Jan 1900 00:00:00 GMT"],
  ];
  for (const [ms, want] of cases) assert.equal(formatHttpDate(ms), want, `ms=${ms}`);
});

Deno.test("formatHttpDate() floors sub-second precision", () => {
  assert.equal(formatHttpDate(RFC_EXAMPLE_MS + 999), "Sun, 06 Nov 1994 08:49:37 GMT");
});

Deno.test("formatHttpDate() throws RangeError for non-finite times and years past 9999", () => {
  assert.throws(() => formatHttpDate(Number.NaN), RangeError);
  assert.throws(() => formatHttpDate(Number.POSITIVE_INFINITY), RangeError);
  assert.throws(() => formatHttpDate(Date.UTC(10000, 0, 1)), RangeError);
});

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

Deno.test("formatHttpDate() writes IMF-fixdate, the year padded to four digits, for years 0-9999", () => {
  assert.equal(formatHttpDate(YEAR_0_MS), "Sat, 01 Jan 0000 00:00:00 GMT");
  assert.equal(formatHttpDate(Date.UTC(999, 0, 1)), "Tue, 01 Jan 0999 00:00:00 GMT");
  assert.throws(() => formatHttpDate(YEAR_0_MS - 1), RangeError, "year -1");
  fc.assert(
    fc.property(fc.integer({ min: YEAR_0_MS, max: Date.UTC(9999, 11, 31, 23, 59, 59) }), (ms) => {
      assert.match(formatHttpDate(ms), IMF_FIXDATE);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseHttpDate() accepts the three RFC 9110 §5.6.7 forms of the same instant", () => {
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), RFC_EXAMPLE_MS);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW_2024), RFC_EXAMPLE_MS);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), RFC_EXAMPLE_MS);
});

Deno.test("parseHttpDate() accepts asctime days as SP DIGIT or 2DIGIT", () => {
  assert.equal(parseHttpDate("Wed Nov 16 08:49:37 1994"), Date.UTC(1994, 10, 16, 8, 49, 37));
  assert.equal(parseHttpDate("Sun Nov 06 08:49:37 1994"), RFC_EXAMPLE_MS);
});

Deno.test("parseHttpDate() applies the 50-year rule to RFC 850 two-digit years", () => {
  const cases: Array<[string, number, number]> = [
    ["Sunday, 06-Nov-94 08:49:37 GMT", NOW_2024, 1994],
    ["Saturday, 01-Jun-24 00:00:00 GMT", NOW_2024, 2024],
    ["Thursday, 01-Jun-74 00:00:00 GMT", NOW_2024, 2074],
    ["Sunday, 01-Jun-75 00:00:00 GMT", NOW_2024, 1975],
    ["Monday, 01-Jan-01 00:00:00 GMT", Date.UTC(2099, 0, 1), 2101],
    ["Monday, 01-Jan-50 00:00:00 GMT", Date.UTC(2099, 0, 1), 2050],
    ["Monday, 01-Jan-49 00:00:00 GMT", Date.UTC(2099, 0, 1), 2149],
    ["Monday, 01-Jan-51 00:00:00 GMT", Date.UTC(2099, 0, 1), 2051],
  ];
  for (const [text, now, year] of cases) {
    const ms = parseHttpDate(text, now);
    assert.notEqual(ms, null, text);
    assert.equal(new Date(ms!).getUTCFullYear(), year, text);
  }
});

Deno.test("parseHttpDate() validates day against month length and leap years", () => {
  assert.equal(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"), Date.UTC(2000, 1, 29));
  assert.equal(parseHttpDate("Thu, 29 Feb 2024 00:00:00 GMT"), Date.UTC(2024, 1, 29));
  assert.equal(parseHttpDate("Thu, 29 Feb 1900 00:00:00 GMT"), null);
  assert.equal(parseHttpDate("Wed, 29 Feb 2023 00:00:00 GMT"), null);
  assert.equal(parseHttpDate("Mon, 31 Apr 2023 00:00:00 GMT"), null);
  assert.equal(parseHttpDate("Sun, 00 Jan 2023 00:00:00 GMT"), null);
  assert.equal(parseHttpDate("Tue, 32 Jan 2023 00:00:00 GMT"), null);
  assert.equal(parseHttpDate("Thu Feb 29 00:00:00 1900"), null);
  assert.equal(parseHttpDate("Thursday, 31-Jun-99 00:00:00 GMT", NOW_2024), null);
});

Deno.test("parseHttpDate() validates time-of-day and reads a leap second as :59", () => {
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 24:00:00 GMT"), null);
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 23:60:00 GMT"), null);
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 23:59:61 GMT"), null);
  assert.equal(
    parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT"),
    Date.UTC(2016, 11, 31, 23, 59, 59),
  );
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 00:00:00 GMT"), Date.UTC(1994, 10, 6));
});

Deno.test("parseHttpDate() ignores surrounding OWS only", () => {
  assert.equal(parseHttpDate(" \tSun, 06 Nov 1994 08:49:37 GMT \t"), RFC_EXAMPLE_MS);
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT\r\n"), null);
  assert.equal(parseHttpDate("Sun,  06 Nov 1994 08:49:37 GMT"), null);
});

Deno.test("parseHttpDate() returns null for anything but exactly one HTTP-date", () => {
  const invalid = [
    "",
    "0",
    "784111777",
    "1994-11-06T08:49:37Z",
    "sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 gmt",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37 +0000",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 08.49.37 GMT",
    "Sun, 06 Nov +994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:-7 GMT",
    "Sun, 0\u0666 Nov 1994 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMTX",
    "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Xxx 1994 08:49:37 GMT",
    "Sun 06 Nov 1994 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994x",
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov  6 08:49:37  994",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sunday, 06 Nov 94 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 UTC",
    "Sundae, 06-Nov-94 08:49:37 GMT",
    "Sun, 06-Nov-94 08:49:37 GMT",
  ];
  for (const text of invalid) assert.equal(parseHttpDate(text, NOW_2024), null, text);
});

Deno.test("parseHttpDate() does not check the day name against the date", () => {
  assert.equal(parseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT"), RFC_EXAMPLE_MS);
});

Deno.test("parseHttpDate() round-trips formatHttpDate() at whole seconds", () => {
  fc.assert(
    fc.property(fc.integer({ min: YEAR_0_MS, max: Date.UTC(9999, 11, 31, 23, 59, 59) }), (ms) => {
      const whole = Math.floor(ms / 1000) * 1000;
      assert.equal(parseHttpDate(formatHttpDate(ms)), whole);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseHttpDate() never throws on arbitrary text", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      const ms = parseHttpDate(text, NOW_2024);
      assert.ok(ms === null || Number.isInteger(ms));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("DateCache.value() reformats only when the second changes", () => {
  let now = RFC_EXAMPLE_MS;
  const cache = new DateCache(() => now);
  const first = cache.value();
  assert.equal(first, "Sun, 06 Nov 1994 08:49:37 GMT");
  now += 999;
  assert.equal(cache.value(), first);
  now += 1;
  assert.equal(cache.value(), "Sun, 06 Nov 1994 08:49:38 GMT");
  now -= 5000;
  assert.equal(cache.value(), "Sun, 06 Nov 1994 08:49:33 GMT");
});

Deno.test("DateCache.value() calls the clock once per call", () => {
  let calls = 0;
  const cache = new DateCache(() => {
    calls++;
    return 0;
  });
  cache.value();
  cache.value();
  assert.equal(calls, 2);
  assert.equal(cache.value(), "Thu, 01 Jan 1970 00:00:00 GMT");
});
