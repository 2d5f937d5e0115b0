/**
 * The one place error responses are planned: page from error/, fixed headers, close decision.
 * @module
 */

import { CLOSING_STATUSES } from "../http/keep_alive.ts";
import type { ResponseFields } from "../http/response_head.ts";
import { reasonPhrase } from "../http/status.ts";
import type { ErrorPageSet } from "../pages/error_pages.ts";
import type { ResponsePlan } from "./plan.ts";

const encoder = new TextEncoder();

/** Options for an error response. */
export interface ErrorOptions {
  /** A fixed explanation shown on the page (escaped there; never raw client input). */
  readonly message?: string;
  /** Extra header fields, e.g. Allow or WWW-Authenticate. */
  readonly fields?: ResponseFields;
  /** error.log entry for this response. */
  readonly note?: ResponsePlan["note"];
  /** Whether the page body is omitted (HEAD). */
  readonly headOnly?: boolean;
}

/**
 * Plan an error response with its page. Statuses after which the request bytes cannot be
 * trusted also close the connection.
 */
export function errorPlan(
  pages: ErrorPageSet,
  status: number,
  opts: ErrorOptions = {},
): ResponsePlan {
  const html = encoder.encode(
    pages.render(
      status,
      reasonPhrase(status),
      opts.message === undefined ? {} : { message: opts.message },
    ),
  );
  const fields: ResponseFields = [
    ["Content-Type", "text/html; charset=utf-8"],
    ["Content-Length", String(html.length)],
    ["Cache-Control", "no-store"],
    ["X-Content-Type-Options", "nosniff"],
    ...(opts.fields ?? []),
  ];
  return {
    status,
    fields,
    body: opts.headOnly ? { kind: "none" } : { kind: "bytes", data: html },
    close: CLOSING_STATUSES.has(status),
    ...(opts.note === undefined ? {} : { note: opts.note }),
  };
}
