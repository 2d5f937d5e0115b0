import assert from "node:assert/strict";
import { type Check, fileChecks, siteChecks } from "./conformance_checks.ts";
import type { Response } from "./http_client.ts";

const DATE = ["Date", "Mon, 07 Dec 2026 04:00:00 GMT"] as const;
const BODY = new TextEncoder().encode("0123456789");

function res(status: number, fields: Array<[string, string]>, body = new Uint8Array(0)): Response {
  return {
    statusLine: `HTTP/1.1 ${status} X`,
    status,
    fields: [DATE, ...fields],
    body,
    closeDelimited: false,
  };
}

const FILE = res(200, [
  ["Content-Type", "text/plain"],
  ["Content-Length", "10"],
  ["ETag", '"v1"'],
  ["Last-Modified", "Mon, 07 Dec 2026 03:00:00 GMT"],
  ["Accept-Ranges", "bytes"],
], BODY);

function check(checks: Check[], start: string): Check {
  const c = checks.find((c) => c.name.startsWith(start));
  assert.ok(c, start);
  return c;
}

const checks = fileChecks("/f.txt", FILE);

Deno.test("fileChecks() passes a correct server's answers", () => {
  const part = (first: number, last: number) =>
    res(206, [["Content-Range", `bytes ${first}-${last}/10`], [
      "Content-Length",
      String(last - first + 1),
    ]], BODY.slice(first, last + 1));
  assert.deepEqual(check(checks, "GET /f.txt Range: bytes=0-100").verify([part(0, 9)]), []);
  assert.deepEqual(check(checks, "GET /f.txt Range: bytes=-10").verify([part(0, 9)]), []);
  assert.deepEqual(
    check(checks, "GET /f.txt Range: bytes=10-").verify([
      res(416, [["Content-Range", "bytes */10"], ["Content-Length", "0"]]),
    ]),
    [],
  );
  const nm = res(304, [["ETag", '"v1"']]);
  assert.deepEqual(check(checks, "GET /f.txt If-None-Match").verify([nm, FILE, nm]), []);
  const refused = res(401, [["WWW-Authenticate", "Basic"], ["Content-Length", "0"]]);
  assert.deepEqual(
    check(checks, "PUT and DELETE").verify([refused, res(403, [["Content-Length", "0"]]), FILE]),
    [],
  );
  assert.deepEqual(check(checks, "POST").verify([res(405, [["Allow", "GET, HEAD"]])]), []);
  assert.deepEqual(
    check(checks, "HEAD").verify([res(200, FILE.fields.slice(1) as Array<[string, string]>)]),
    [],
  );
});

Deno.test("fileChecks() catches the wrong answers conformance_test.py was written for", () => {
  const problems = (start: string, ...rs: Response[]) => check(checks, start).verify(rs).join("; ");
  // A server that ignores Range, answers 416 without Content-Range, or sends the wrong slice.
  assert.match(problems("GET /f.txt Range: bytes=0-100", FILE), /status 200, expected 206/);
  assert.match(problems("GET /f.txt Range: bytes=10-", res(416, [])), /Content-Range "undefined"/);
  assert.match(
    problems(
      "GET /f.txt Range: bytes=-10",
      res(206, [["Content-Range", "bytes 0-9/10"]], BODY.slice(1)),
    ),
    /not the bytes of the range/,
  );
  // Conditionals ignored, a 304 without its ETag or with a body.
  assert.match(problems("GET /f.txt If-None-Match", FILE, FILE, FILE), /status 200, expected 304/);
  assert.match(
    problems("GET /f.txt If-None-Match", res(304, []), FILE, res(304, [["ETag", '"v1"']])),
    /lacks the ETag/,
  );
  assert.match(
    problems(
      "GET /f.txt If-None-Match",
      res(304, [["ETag", '"v1"']], BODY),
      FILE,
      res(304, [["ETag", '"v1"']]),
    ),
    /a GET 304 with a body/,
  );
  assert.match(problems("GET /f.txt If-Match", FILE, FILE), /status 200, expected 412/);
  // HEAD with a body or other fields; a Content-Length that lies; no Date.
  assert.match(
    problems("HEAD", res(200, [["Content-Length", "10"]], BODY)),
    /a HEAD 200 with a body/,
  );
  assert.match(
    problems("GET /f.txt: 200", res(200, [["Content-Length", "11"], ["Content-Type", "x"]], BODY)),
    /Content-Length 11 but 10 bytes/,
  );
  assert.match(
    problems("GET /f.txt: 200", { ...FILE, fields: FILE.fields.slice(1) }),
    /no Date field/,
  );
  // A PUT that was accepted, a 405 without Allow, a TRACE echoed.
  assert.match(
    problems("PUT and DELETE", res(201, []), res(204, []), FILE),
    /PUT without credentials: status 201/,
  );
  assert.match(problems("POST", res(405, [])), /405 without an Allow field/);
  assert.match(problems("TRACE", res(200, [])), /status 200, expected 405 or 501/);
});

Deno.test("siteChecks() wants 404, 403, refused traversal, 400 without Host and 501", () => {
  const site = siteChecks("", "/private/");
  assert.deepEqual(site.map((c) => c.requests.length), [2, 1, 3, 1, 1]);
  const traversal = site[2]!;
  assert.ok(traversal.requests.every((r) => r.target.includes("etc")));
  assert.match(
    traversal.verify([res(404, []), res(400, []), res(200, [], BODY)]).join(),
    /status 200/,
  );
  assert.equal(site[3]!.requests[0]!.noHost, true);
  assert.match(site[4]!.verify([res(405, [])]).join(), /Allow/);
  assert.deepEqual(site[4]!.verify([res(501, [])]), []);
  assert.match(site[0]!.verify([res(404, []), res(404, [])]).join(), /an empty 404 page/);
});
