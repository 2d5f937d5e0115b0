/**
 * Checks every write passes before any file is touched or any body byte is read (so
 * `Expect: 100-continue` clients are refused before they send the body):
 *
 * 1. PUT/DELETE: WriteAccess Off -> 403; path outside WritePaths -> 403 (no point in asking
 *    for credentials that could not help).
 * 2. Credentials (RFC 7617) when a PasswordFile is configured: none or wrong -> 401 with the
 *    challenge; PasswordFile unusable -> 500; a client over AuthAttemptsPerSecond -> 429 and
 *    a worker over MaxPasswordChecks -> 503, both with Retry-After and no hashing
 *    (auth/password_gate.ts). Uploads without a PasswordFile are anonymous.
 * 3. The body: `Content-Range` on a PUT -> 400 (RFC 9110 §14.5: partial PUT is not supported),
 *    a Content-Encoding other than identity -> 415 with `Accept-Encoding: identity`
 *    (§15.5.16), no Content-Length and no chunked framing -> 411 (§15.5.12).
 *
 * Each refusal carries an error.log note: 401/403 at info (a browser's first try has no
 * credentials) or warn (wrong password), 500 at crit.
 * @module
 */

import { BASIC_CHALLENGE } from "../auth/basic_auth.ts";
import { trimOws } from "../http/chars.ts";
import type { StaticContext, StaticRequest } from "./context.ts";
import { canWrite } from "./options.ts";
import type { ResponsePlan } from "./plan.ts";

/** The kind of write being checked. */
export type WriteKind = "put" | "delete" | "upload";

/**
 * Check access for a write to a decoded URL path.
 * @returns a refusal plan, or null to go on
 */
export async function guardWrite(
  ctx: StaticContext,
  req: StaticRequest,
  path: string,
  kind: WriteKind,
): Promise<ResponsePlan | null> {
  if (kind !== "upload") {
    const why = !ctx.policy.writeAccess
      ? "WriteAccess is Off"
      : !canWrite(ctx.policy, path)
      ? "the path is outside WritePaths"
      : ctx.auth === null
      ? "there is no PasswordFile"
      : null;
    if (why !== null) {
      return ctx.error(req, 403, {
        message: "Writing is not allowed here",
        note: { level: "info", message: `${req.method} ${path} refused: ${why}` },
      });
    }
  }
  if (ctx.auth === null) return null;
  const r = await ctx.auth.check(req.headers.get("authorization"), req.clientIp);
  if (r.kind === "ok") return null;
  if (r.kind === "unavailable") {
    return ctx.error(req, 500, {
      note: { level: "crit", message: `credentials cannot be checked: ${r.reason}` },
    });
  }
  if (r.kind === "throttled" || r.kind === "busy") {
    return ctx.error(req, r.kind === "throttled" ? 429 : 503, {
      message: "Too many sign-in attempts: try again in a moment",
      fields: [["Retry-After", String(r.retryAfterS)]],
      ...(r.log
        ? { note: { level: "warn", message: `${req.method} ${path} not checked: ${r.reason}` } }
        : {}),
    });
  }
  const why = r.kind === "missing" ? "no credentials" : r.reason;
  return ctx.error(req, 401, {
    message: "Sign in to change files on this server",
    fields: [["WWW-Authenticate", BASIC_CHALLENGE]],
    note: {
      level: r.kind === "missing" ? "info" : "warn",
      message: `${req.method} ${path} unauthorized: ${why}`,
    },
  });
}

/**
 * Check that a write's body can be stored as it is.
 * @returns a refusal plan, or null to go on
 */
export function checkBody(ctx: StaticContext, req: StaticRequest): ResponsePlan | null {
  const h = req.headers;
  if (req.method === "PUT" && h.get("content-range") !== undefined) {
    return ctx.error(req, 400, { message: "Partial PUT with Content-Range is not supported" });
  }
  const coding = h.combined("content-encoding");
  if (coding !== undefined && trimOws(coding).toLowerCase() !== "identity") {
    return ctx.error(req, 415, {
      message: "Send the body without a content coding",
      fields: [["Accept-Encoding", "identity"]],
    });
  }
  // The connection gives body null for both "no body framing" and "Content-Length: 0".
  if (req.body === null && h.get("content-length") === undefined) {
    return ctx.error(req, 411, { message: "Send a Content-Length or a chunked body" });
  }
  return null;
}

/** The body to store: an empty one for Content-Length: 0. */
export function bodyOf(req: StaticRequest): AsyncIterable<Uint8Array> {
  return req.body ?? EMPTY;
}

const EMPTY: AsyncIterable<Uint8Array> = {
  async *[Symbol.asyncIterator]() {},
};
