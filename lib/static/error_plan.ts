/**
 * The one place error responses are planned: page from error/, fixed headers.
 * @module
 */

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

/** A rendered page and its fixed fields, reused while the page set is the same. */
interface RenderedPage {
  readonly html: Uint8Array;
  readonly fields: ResponseFields;
}

/** Rendered pages by page set, then by status and message (both fixed strings, a small set). */
const RENDERED = new WeakMap<ErrorPageSet, Map<string, RenderedPage>>();
const MAX_RENDERED = 256;

function rendered(pages: ErrorPageSet, status: number, message: string | undefined): RenderedPage {
  let bySet = RENDERED.get(pages);
  if (bySet === undefined) RENDERED.set(pages, bySet = new Map());
  const key = message === undefined ? String(status) : `${status}\n${message}`;
  let r = bySet.get(key);
  if (r === undefined) {
    const html = encoder.encode(
      pages.render(status, reasonPhrase(status), message === undefined ? {} : { message }),
    );
    r = {
      html,
      fields: [
        ["Content-Type", "text/html; charset=utf-8"],
        ["Content-Length", String(html.length)],
        ["Cache-Control", "no-store"],
        ["X-Content-Type-Options", "nosniff"],
      ],
    };
    if (bySet.size >= MAX_RENDERED) bySet.clear();
    bySet.set(key, r);
  }
  return r;
}

/**
 * Plan an error response with its page, rendered once per status and message. Whether the
 * connection stays open is the protocol's decision (HTTP/1.1 closes after the statuses in
 * http/keep_alive.ts CLOSING_STATUSES).
 */
export function errorPlan(
  pages: ErrorPageSet,
  status: number,
  opts: ErrorOptions = {},
): ResponsePlan {
  const page = rendered(pages, status, opts.message);
  return {
    status,
    fields: opts.fields === undefined ? page.fields : [...page.fields, ...opts.fields],
    body: opts.headOnly ? { kind: "none" } : { kind: "bytes", data: page.html },
    ...(opts.note === undefined ? {} : { note: opts.note }),
  };
}
