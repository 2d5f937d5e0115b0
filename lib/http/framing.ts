/**
 * Request semantics checked before any file is touched: version, Host, method, Expect and how
 * the body is delimited (RFC 9112 §6.3).
 * @module
 */

import type { FieldList } from "./headers.ts";
import { splitList } from "./headers.ts";
import type { ParseErrorCode } from "./parse_errors.ts";
import type { RequestHead } from "./request_parser.ts";
import { decimal } from "./digits.ts";
import { trimOws } from "./chars.ts";

/** How the request body is delimited. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

/** The methods this server implements; any other token gets 501 (RFC 9110 §9.1). */
export const IMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "OPTIONS",
]);

/** Result of checking a head. */
export type HeadCheck =
  | { readonly kind: "ok"; readonly framing: BodyFraming; readonly expectContinue: boolean }
  | { readonly kind: "error"; readonly code: ParseErrorCode };

/**
 * Check a parsed head: supported version, Host rules (RFC 9112 §3.2), implemented method,
 * Expect (RFC 9110 §10.1.1) and body framing.
 * @param maxBody largest body accepted; a larger Content-Length is rejected before reading
 */
export function checkHead(head: RequestHead, maxBody: number): HeadCheck {
  if (head.versionMajor !== 1) return fail("unsupported-version");
  const h = head.headers;
  const hosts = h.count("host");
  if (hosts > 1) return fail("multiple-host");
  if (hosts === 0 && head.versionMinor >= 1) return fail("missing-host");
  if (hosts === 1 && !validHost(h.get("host")!)) return fail("bad-host");
  if (!IMPLEMENTED_METHODS.has(head.method)) return fail("unknown-method");
  const framing = bodyFraming(h);
  if ("code" in framing) return framing;
  if (framing.kind === "length" && framing.length > maxBody) return fail("body-too-large");
  const expect = h.get("expect");
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== "100-continue") return fail("expectation-failed");
    expectContinue = head.versionMinor >= 1 && framing.kind !== "none";
  }
  return framing.kind === "none" && !expectContinue
    ? NO_BODY_OK
    : { kind: "ok", framing, expectContinue };
}

/** No body framing (the common case), shared. */
const NO_BODY: BodyFraming = Object.freeze({ kind: "none" });
/** checkHead's answer for a valid request without a body (most requests), shared. */
const NO_BODY_OK: HeadCheck = Object.freeze({
  kind: "ok",
  framing: NO_BODY,
  expectContinue: false,
});

/** Body framing from Transfer-Encoding / Content-Length (RFC 9112 §6.1-§6.3). */
export function bodyFraming(h: FieldList): BodyFraming | { kind: "error"; code: ParseErrorCode } {
  const te = h.combined("transfer-encoding");
  const cl = h.combined("content-length");
  if (te !== undefined) {
    // §6.1: a server MAY reject a message with both as an attempt at request smuggling.
    if (cl !== undefined) return fail("cl-and-te");
    const codings = splitList(te).map((c) => c.toLowerCase());
    if (codings.length === 0 || codings[codings.length - 1] !== "chunked") {
      return fail("bad-transfer-encoding");
    }
    if (codings.length > 1) return fail("unsupported-transfer-encoding");
    return { kind: "chunked" };
  }
  if (cl === undefined) return NO_BODY;
  const length = parseContentLength(cl);
  if (length === -1) return fail("bad-content-length");
  if (length === -2) return fail("conflicting-content-length");
  return length === 0 ? NO_BODY : { kind: "length", length };
}

/**
 * Parse Content-Length (RFC 9110 §8.6): 1*DIGIT, or a list of identical values.
 * @returns the length, -1 when malformed, -2 when list members differ
 */
export function parseContentLength(value: string): number {
  let result = -3;
  for (const part of value.split(",")) {
    const n = parseDecimal(trimOws(part)); // OWS only: "\xa05" is not 5
    if (n < 0) return -1;
    if (result !== -3 && n !== result) return -2;
    result = n;
  }
  return result;
}

/** Strict 1*DIGIT to a number; -1 when empty, not digits, or beyond 2^53-1. */
export function parseDecimal(s: string): number {
  return decimal(s, 16) ?? -1;
}

/** Host = uri-host [ ":" port ] (RFC 9110 §7.2); reject spaces, userinfo, paths. */
export function validHost(host: string): boolean {
  if (host.length === 0 || host === lastValidHost) return true; // RFC 9112 §3.2: empty is allowed
  const ok = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]+)(:[0-9]{0,5})?$/.test(host);
  if (ok) lastValidHost = host;
  return ok;
}

/** The last Host value found valid: nearly every request of a server names the same one. */
let lastValidHost = "";

function fail(code: ParseErrorCode): { kind: "error"; code: ParseErrorCode } {
  return { kind: "error", code };
}
