/**
 * What `deno task conformance URL` asks a server and what it accepts as an answer (pure: the
 * requests to send and a verdict over the responses; conformance.ts does the I/O). A check
 * fails only on what RFC 9110/9112 require (MUST) or what the original project's
 * conformance_test.py expected of a static file server (200, 404, 403, ranges); where the RFCs
 * allow several answers (POST to a file: the file or 405; a refused PUT: 401, 403 or 405; a
 * multi-range request: 206 multipart or the whole file) any of them passes.
 * @module
 */

import { field, type Request, type Response } from "./http_client.ts";

/** One question to the server: the requests (each on a connection of its own), and a verdict. */
export interface Check {
  readonly name: string;
  readonly requests: readonly Request[];
  /** What is wrong with the answers (empty: the check passed). */
  verify(responses: readonly Response[]): string[];
}

/** The files of the bundled www/html, one of each type: the default paths to check. */
export const DEFAULT_PATHS = [
  "/index.html",
  "/style.css",
  "/hello.txt",
  "/favicon.ico",
  "/images/logo.png",
  "/docs/guide.pdf",
  "/media/sample.webm",
];
/** A folder of the bundled site with no index.html (403 with DirectoryListing Off). */
export const DEFAULT_FORBIDDEN = "/images/";

const enc = new TextEncoder();
const get = (target: string, fields: Array<[string, string]> = []): Request => ({
  method: "GET",
  target,
  fields,
});

function expectStatus(r: Response, ...ok: number[]): string[] {
  return ok.includes(r.status) ? [] : [`status ${r.status}, expected ${ok.join(" or ")}`];
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Fields every response must have right (RFC 9110 §6.6.1 Date; §8.6 Content-Length). */
function framing(r: Response, method: string): string[] {
  const p: string[] = [];
  if (field(r, "date") === undefined) p.push("no Date field (RFC 9110 §6.6.1)");
  const cl = field(r, "content-length");
  if (cl !== undefined && field(r, "transfer-encoding") !== undefined) {
    p.push("both Content-Length and Transfer-Encoding (RFC 9112 §6.1)");
  }
  if (method !== "HEAD" && r.status !== 304 && r.status !== 204 && cl !== undefined) {
    if (Number(cl) !== r.body.length) p.push(`Content-Length ${cl} but ${r.body.length} bytes`);
  }
  if ((r.status === 304 || r.status === 204 || method === "HEAD") && r.body.length > 0) {
    p.push(`a ${method} ${r.status} with a body`);
  }
  return p;
}

/**
 * The checks of one file, built from the answer to a plain GET of it (which must be 200).
 * @param path the file's URL path
 * @param file the response to `GET path`
 */
export function fileChecks(path: string, file: Response): Check[] {
  const len = file.body.length;
  const etag = field(file, "etag");
  const modified = field(file, "last-modified");
  const checks: Check[] = [
    {
      name: `GET ${path}: 200, the body its Content-Length says, with a Content-Type`,
      requests: [get(path)],
      verify: ([r]) => [
        ...expectStatus(r!, 200),
        ...framing(r!, "GET"),
        ...(field(r!, "content-type") === undefined ? ["no Content-Type"] : []),
        ...(same(r!.body, file.body) ? [] : ["the body differs from the first GET's"]),
      ],
    },
    {
      name: `HEAD ${path}: the GET's status and fields, no body`,
      requests: [{ method: "HEAD", target: path }],
      verify: ([r]) => {
        const p = [...expectStatus(r!, 200), ...framing(r!, "HEAD")];
        for (const f of ["content-type", "content-length", "etag", "last-modified"]) {
          if (field(r!, f) !== field(file, f)) {
            p.push(`${f} "${field(r!, f)}", the GET said "${field(file, f)}"`);
          }
        }
        return p;
      },
    },
    {
      name: `POST ${path}: the file (as the original server did) or 405 with Allow`,
      requests: [{ method: "POST", target: path, body: enc.encode("a=1&b=2") }],
      verify: ([r]) => {
        if (r!.status === 405) return allowField(r!);
        return [...expectStatus(r!, 200), ...framing(r!, "POST"), ...sameBody(r!, file)];
      },
    },
    {
      name: `OPTIONS ${path}: 2xx with an Allow field naming GET and HEAD (or 405, 501)`,
      requests: [{ method: "OPTIONS", target: path }],
      verify: ([r]) => {
        if (r!.status === 405) return allowField(r!);
        if (r!.status === 501) return [];
        const p = [...expectStatus(r!, 200, 204), ...framing(r!, "OPTIONS")];
        const allow = (field(r!, "allow") ?? "").toUpperCase();
        if (!/\bGET\b/.test(allow) || !/\bHEAD\b/.test(allow)) p.push(`Allow "${allow}"`);
        return p;
      },
    },
    {
      name: `PUT and DELETE ${path} without credentials: refused, the file unchanged`,
      requests: [
        { method: "PUT", target: path, body: enc.encode("overwritten") },
        { method: "DELETE", target: path },
        get(path),
      ],
      verify: ([put, del, after]) => [
        ...refused(put!, "PUT"),
        ...refused(del!, "DELETE"),
        ...expectStatus(after!, 200),
        ...(same(after!.body, file.body) ? [] : ["the file changed"]),
      ],
    },
    {
      name: `TRACE ${path}: not echoed (405 or 501)`,
      requests: [{ method: "TRACE", target: path }],
      verify: ([r]) => expectStatus(r!, 405, 501),
    },
  ];
  checks.push(...conditionalChecks(path, file, etag, modified));
  checks.push(...rangeChecks(path, file, len, etag));
  return checks;
}

function sameBody(r: Response, file: Response): string[] {
  return same(r.body, file.body) ? [] : ["the body is not the file's"];
}

function allowField(r: Response): string[] {
  return field(r, "allow") === undefined ? ["405 without an Allow field (RFC 9110 §15.5.6)"] : [];
}

function refused(r: Response, method: string): string[] {
  if (r.status === 401 && field(r, "www-authenticate") === undefined) {
    return [`${method}: 401 without WWW-Authenticate (RFC 9110 §15.5.2)`];
  }
  if (r.status === 405) return allowField(r);
  return r.status === 401 || r.status === 403
    ? []
    : [`${method} without credentials: status ${r.status}, expected 401, 403 or 405`];
}

/** RFC 9110 §13: If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since. */
function conditionalChecks(
  path: string,
  file: Response,
  etag: string | undefined,
  modified: string | undefined,
): Check[] {
  const checks: Check[] = [];
  const notModified = (r: Response) => {
    const p = [...expectStatus(r, 304), ...framing(r, "GET")];
    if (etag !== undefined && field(r, "etag") !== etag) p.push("the 304 lacks the ETag");
    return p;
  };
  if (etag !== undefined) {
    checks.push({
      name: `GET ${path} If-None-Match: its ETag -> 304; another tag -> 200; * -> 304`,
      requests: [
        get(path, [["If-None-Match", etag]]),
        get(path, [["If-None-Match", '"no-such-tag"']]),
        get(path, [["If-None-Match", "*"]]),
      ],
      verify: ([a, b, c]) => [
        ...notModified(a!),
        ...expectStatus(b!, 200),
        ...sameBody(b!, file),
        ...notModified(c!),
      ],
    }, {
      name: `GET ${path} If-Match: another tag -> 412; its ETag -> 200`,
      requests: [get(path, [["If-Match", '"no-such-tag"']]), get(path, [["If-Match", etag]])],
      verify: ([a, b]) => [...expectStatus(a!, 412), ...expectStatus(b!, 200)],
    });
  }
  if (modified !== undefined) {
    checks.push({
      name: `GET ${path} If-Modified-Since: its Last-Modified -> 304; 1994 -> 200`,
      requests: [
        get(path, [["If-Modified-Since", modified]]),
        get(path, [["If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"]]),
      ],
      verify: ([a, b]) => [...notModified(a!), ...expectStatus(b!, 200), ...sameBody(b!, file)],
    }, {
      name: `GET ${path} If-Unmodified-Since: 1994 -> 412`,
      requests: [get(path, [["If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"]])],
      verify: ([a]) => expectStatus(a!, 412),
    });
  }
  return checks;
}

/** RFC 9110 §14: single, suffix, unsatisfiable and multiple ranges, If-Range. */
function rangeChecks(path: string, file: Response, len: number, etag: string | undefined): Check[] {
  if (len === 0 || field(file, "accept-ranges")?.toLowerCase() === "none") return [];
  const slice = (r: Response, first: number, last: number): string[] => {
    const p = [...expectStatus(r, 206), ...framing(r, "GET")];
    const want = `bytes ${first}-${last}/${len}`;
    if (field(r, "content-range") !== want) {
      p.push(`Content-Range "${field(r, "content-range")}", expected "${want}"`);
    }
    if (!same(r.body, file.body.subarray(first, last + 1))) p.push("not the bytes of the range");
    return p;
  };
  const checks: Check[] = [
    {
      name: `GET ${path} Range: bytes=0-100 -> 206 with at most 101 bytes`,
      requests: [get(path, [["Range", "bytes=0-100"]])],
      verify: ([r]) => slice(r!, 0, Math.min(100, len - 1)),
    },
    {
      name: `GET ${path} Range: bytes=-10 -> 206 with the last bytes`,
      requests: [get(path, [["Range", "bytes=-10"]])],
      verify: ([r]) => slice(r!, Math.max(0, len - 10), len - 1),
    },
    {
      name: `GET ${path} Range: bytes=${len}- -> 416 with Content-Range: bytes */${len}`,
      requests: [get(path, [["Range", `bytes=${len}-`]])],
      verify: ([r]) => {
        const p = [...expectStatus(r!, 416), ...framing(r!, "GET")];
        if (field(r!, "content-range") !== `bytes */${len}`) {
          p.push(`Content-Range "${field(r!, "content-range")}"`);
        }
        return p;
      },
    },
  ];
  if (len >= 5) {
    checks.push({
      name: `GET ${path} Range: bytes=0-1,3-4 -> 206 multipart/byteranges (or 200)`,
      requests: [get(path, [["Range", "bytes=0-1,3-4"]])],
      verify: ([r]) => {
        if (r!.status === 200) return [...framing(r!, "GET"), ...sameBody(r!, file)];
        const p = [...expectStatus(r!, 206), ...framing(r!, "GET")];
        if (!/^multipart\/byteranges;\s*boundary=/i.test(field(r!, "content-type") ?? "")) {
          p.push(`Content-Type "${field(r!, "content-type")}"`);
        }
        return p;
      },
    });
  }
  if (etag !== undefined && !etag.startsWith("W/")) {
    checks.push({
      name: `GET ${path} If-Range: its ETag -> 206; another tag -> 200, the whole file`,
      requests: [
        get(path, [["Range", "bytes=0-0"], ["If-Range", etag]]),
        get(path, [["Range", "bytes=0-0"], ["If-Range", '"no-such-tag"']]),
      ],
      verify: ([a, b]) => [...slice(a!, 0, 0), ...expectStatus(b!, 200), ...sameBody(b!, file)],
    });
  }
  return checks;
}

/**
 * Checks of the server as a whole: 404, 403, paths that climb out of the root, a request
 * without Host, an unknown method.
 * @param base the URL's path prefix ("" for the root)
 * @param forbidden a path the server must refuse with 403
 */
export function siteChecks(base: string, forbidden: string): Check[] {
  const missing = `${base}/no-such-file-${crypto.randomUUID()}.html`;
  return [
    {
      name: `GET and HEAD of a missing file: 404, a page for GET, no body for HEAD`,
      requests: [get(missing), { method: "HEAD", target: missing }],
      verify: ([g, h]) => [
        ...expectStatus(g!, 404),
        ...framing(g!, "GET"),
        ...(g!.body.length === 0 ? ["an empty 404 page"] : []),
        ...expectStatus(h!, 404),
        ...framing(h!, "HEAD"),
      ],
    },
    {
      name: `GET ${base}${forbidden}: 403`,
      requests: [get(`${base}${forbidden}`)],
      verify: ([r]) => [...expectStatus(r!, 403), ...framing(r!, "GET")],
    },
    {
      name: "paths climbing out of the root are refused (400 or 404), never served",
      requests: [
        get(`${base}/../../../../etc/passwd`),
        get(`${base}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`),
        get(`${base}/..%2f..%2f..%2fetc%2fpasswd`),
      ],
      verify: (rs) => rs.flatMap((r) => expectStatus(r, 400, 403, 404)),
    },
    {
      name: "HTTP/1.1 without Host: 400 (RFC 9112 §3.2)",
      requests: [{ ...get(`${base}/`), noHost: true }],
      verify: ([r]) => expectStatus(r!, 400),
    },
    {
      name: "an unknown method: 501 (RFC 9110 §9.1) or 405",
      requests: [{ method: "FROBNICATE", target: `${base}/` }],
      verify: ([r]) => (r!.status === 405 ? allowField(r!) : expectStatus(r!, 501)),
    },
  ];
}
