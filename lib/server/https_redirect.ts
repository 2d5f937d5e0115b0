/**
 * RedirectToHTTPS: a plain-HTTP GET or HEAD is answered 308 Permanent Redirect (RFC 9110
 * §15.4.9) to the same URL over HTTPS; other methods get 403 with a page saying why, since
 * their body has already crossed the network in clear and a redirect would teach the client to
 * send it twice. ACME HTTP-01 challenges (RFC 8555 §8.3) stay on plain HTTP: a CA validates
 * over port 80 before any certificate exists. Pure: request in, plan (or null) out.
 * @module
 */

import type { ResponsePlan } from "../static/plan.ts";
import type { ServerRequest } from "./request.ts";
import type { ErrorPlanner } from "./status_endpoint.ts";

/** Targets under this prefix are never redirected (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** The page text of a refused plain-HTTP request (a fixed sentence: no client input). */
export const HTTPS_ONLY_MESSAGE =
  "This server accepts requests other than GET and HEAD only over HTTPS, so that what you send " +
  "is encrypted. Send the request again to the same address with https://.";

const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]+)(:[0-9]{0,5})?$/;

/**
 * Plans the answer of plain-HTTP requests when RedirectToHTTPS is on.
 * @example
 * const r = new HttpsRedirect(8443);
 * r.answer(req, errorPlan); // GET http://example.org:8080/a?b -> 308, Location https://example.org:8443/a?b
 */
export class HttpsRedirect {
  readonly #port: number;

  /** @param tlsPort the HTTPS port clients reach (443 is left out of the URL) */
  constructor(tlsPort: number) {
    this.#port = tlsPort;
  }

  /** The plan for `req`, or null when it is not ours to answer (HTTPS, an ACME challenge). */
  answer(req: ServerRequest, errorPlan: ErrorPlanner): ResponsePlan | null {
    if (req.scheme === "https") return null;
    const parts = splitTarget(req.target, req.headers.get("host"));
    if (parts !== null && parts.pathAndQuery.startsWith(ACME_CHALLENGE_PREFIX)) return null;
    const get = req.method === "GET" || req.method === "HEAD";
    if (!get || parts === null) return errorPlan(403, req.method, HTTPS_ONLY_MESSAGE);
    const port = this.#port === 443 ? "" : `:${this.#port}`;
    const location = `https://${parts.host}${port}${parts.pathAndQuery}`;
    const p = errorPlan(308, req.method);
    return { ...p, fields: [...p.fields, ["Location", location]] };
  }
}

/**
 * The host (without its port) and the path and query a request names: from an absolute-form
 * target, else from Host (RFC 9112 §3.2.2). Null when there is no usable host.
 * @example splitTarget("/a?b", "example.org:8080"); // { host: "example.org", pathAndQuery: "/a?b" }
 */
export function splitTarget(
  target: string,
  hostField: string | undefined,
): { host: string; pathAndQuery: string } | null {
  let authority = hostField ?? "";
  let rest = target;
  if (target[0] !== "/") {
    const m = /^https?:\/\/([^/?#]*)/i.exec(target);
    if (m === null) return null; // "*" (OPTIONS) or not a URL
    authority = m[1]!;
    rest = target.slice(m[0].length);
    if (rest === "" || rest[0] === "?") rest = "/" + rest;
  }
  const a = AUTHORITY.exec(authority);
  if (a === null) return null;
  return { host: a[1]!.toLowerCase(), pathAndQuery: rest };
}
