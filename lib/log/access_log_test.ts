import { assertEquals } from "../http/test_assert.ts";
import { clfTime, escapeLogValue, formatAccessLine } from "./access_log.ts";
import { APACHE_EXAMPLE } from "./test_support.ts";

Deno.test("formatAccessLine() writes Apache Combined Log Format", () => {
  const line = formatAccessLine(APACHE_EXAMPLE);
  assertEquals(
    line,
    '192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
  );
});

Deno.test("formatAccessLine() writes - for no body, no request line and missing headers", () => {
  const line = formatAccessLine({
    client: "::1",
    user: "bob",
    timeMs: 0,
    requestLine: null,
    status: 400,
    bytes: 0,
    referer: undefined,
    userAgent: undefined,
  });
  assertEquals(line, '::1 - bob [01/Jan/1970:00:00:00 +0000] "-" 400 - "-" "-"');
});

Deno.test("formatAccessLine() ends with the scheme when one is given (HTTPS on), else not", () => {
  const https = formatAccessLine({ ...APACHE_EXAMPLE, scheme: "https" });
  assertEquals(https, formatAccessLine(APACHE_EXAMPLE) + " https");
  // The same line with another scheme is not the remembered one.
  assertEquals(formatAccessLine({ ...APACHE_EXAMPLE, scheme: "http" }).endsWith('" http'), true);
  assertEquals(formatAccessLine({ ...APACHE_EXAMPLE, scheme: null }).endsWith(')"'), true);
});

Deno.test("escapeLogValue() stops clients from forging log lines", () => {
  assertEquals(escapeLogValue('a"b\\c'), 'a\\"b\\\\c');
  assertEquals(escapeLogValue("x\r\nINJECTED"), "x\\x0d\\x0aINJECTED");
  assertEquals(escapeLogValue("caf\xe9"), "caf\\xe9");
});

Deno.test("clfTime() pads day and time fields", () => {
  assertEquals(clfTime(Date.UTC(2024, 1, 3, 4, 5, 6)), "[03/Feb/2024:04:05:06 +0000]");
});

Deno.test("formatAccessLine() reuses nothing of a previous line that differs in any field", () => {
  const base = {
    client: "192.0.2.1",
    user: null,
    timeMs: Date.UTC(2000, 9, 10, 13, 55, 36),
    requestLine: "GET /a HTTP/1.1",
    status: 200,
    bytes: 10,
    referer: "http://r/",
    userAgent: "ua",
  };
  const want = (r: typeof base) =>
    `${r.client} - - [10/Oct/2000:13:55:36 +0000] "${r.requestLine}" ${r.status} ${r.bytes} ` +
    `"${r.referer}" "${r.userAgent}"`;
  const variants = [
    base,
    base,
    { ...base, client: "192.0.2.2" },
    { ...base, requestLine: "GET /b HTTP/1.1" },
    { ...base, status: 404 },
    { ...base, bytes: 11 },
    { ...base, referer: "http://s/" },
    { ...base, userAgent: "ub" },
    base,
  ];
  for (const r of variants) assertEquals(formatAccessLine(r), want(r));
  assertEquals(
    formatAccessLine({ ...base, referer: undefined }),
    want(base).replace('"http://r/"', '"-"'),
  );
});
