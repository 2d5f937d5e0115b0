/**
 * A worker's cookie sessions (SessionManager over the shared store): the Set-Cookie line each
 * response gets within SessionCookieScope, and the once-a-second batch of session updates.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { LogLevel } from "../config/config.ts";
import type { FieldLines, ResponseFields } from "../http/response_head.ts";
import { listHasToken } from "../http/headers.ts";
import { joinFieldLines, trustedFieldLines } from "../http/response_head.ts";
import { SessionManager, type SessionStats } from "../session/manager.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import type { ResponsePlan } from "../static/plan.ts";
import type { Peer, ServerRequest } from "./request.ts";

/** A worker's error-log writer. */
export type ErrorLog = (level: LogLevel, module: string, message: string, peer?: Peer) => void;

/** The session cookie of a worker's responses. */
export class WorkerSessions {
  readonly #manager: SessionManager;
  readonly #log: ErrorLog;
  readonly #scope: Config["sessionCookieScope"];

  /**
   * @param sessionKey the signing secret resolved by the main thread
   * @param now the clock of cookie issue times (a worker passes its LoopClock's)
   */
  constructor(
    config: Config,
    sessionKey: string,
    store: ResilientStore,
    log: ErrorLog,
    now: () => number,
  ) {
    this.#log = log;
    this.#scope = config.sessionCookieScope;
    this.#manager = new SessionManager(
      {
        cookieName: config.sessionCookie,
        ttlS: config.sessionTtlS,
        secure: config.sessionSecure,
        secret: sessionKey,
      },
      store,
      now,
    );
  }

  /** Cumulative counts for the status page. */
  get stats(): SessionStats {
    return this.#manager.stats;
  }

  /**
   * The plan with the session cookie this response carries, if any: a new one when the client
   * has no valid session and the response is in SessionCookieScope; a returning client is
   * recognised (and counted) whatever the response. Synchronous unless the store must be asked.
   */
  withCookie(req: ServerRequest, plan: ResponsePlan): ResponsePlan | Promise<ResponsePlan> {
    const line = this.cookieFor(req, inCookieScope(this.#scope, req.target, plan));
    if (line === null) return plan;
    return line instanceof Promise
      ? line.then((l) => (l === null ? plan : withSetCookie(plan, l)))
      : withSetCookie(plan, line);
  }

  /**
   * The Set-Cookie line for the response to `req`, or null (a returning client, or one that may
   * not get a cookie here). Synchronous unless the store must be asked; never fails a response
   * (an error is logged, no cookie). Every request without a valid cookie gets a new session,
   * even on a connection that was given one already: behind a reverse proxy one connection
   * carries many users.
   * @param mayIssue whether the response may carry a new cookie
   */
  cookieFor(req: ServerRequest, mayIssue = true): FieldLines | null | Promise<FieldLines | null> {
    try {
      const line = this.#manager.setCookieLine(req.headers, req.peer, mayIssue);
      // The line is built from the cookie name checked once and a base64url value.
      if (line === null) return null;
      if (line instanceof Uint8Array) return trustedFieldLines(line);
      return line.then((l) => (l === null ? null : trustedFieldLines(l)));
    } catch (e) {
      this.#log("error", "session", `session check failed: ${describe(e)}`, req.peer);
      return null;
    }
  }

  /** Write the batched session updates (never rejects). */
  flush(): Promise<void> {
    return this.#manager.flush();
  }
}

/**
 * Add a Set-Cookie line to a plan, after its own fields (the plan's fields may be a memoized
 * array whose bytes are encoded once). A response that shared caches may store
 * (Cache-Control: public) never carries a client's cookie; the client gets one with its next
 * page.
 */
export function withSetCookie(plan: ResponsePlan, line: FieldLines): ResponsePlan {
  if (isPublic(plan.fields)) return plan;
  return { ...plan, extra: plan.extra === undefined ? line : joinFieldLines(plan.extra, line) };
}

/**
 * Whether a response may give a new visitor a session cookie (SessionCookieScope): "all";
 * "html", a 2xx HTML document (text/html, application/xhtml+xml); or a target under one of
 * the URL path prefixes.
 * @example
 * inCookieScope(["/app/"], "/app/x?y", plan); // true
 */
export function inCookieScope(
  scope: Config["sessionCookieScope"],
  target: string,
  plan: ResponsePlan,
): boolean {
  if (scope === "all") return true;
  if (scope === "html") return plan.status >= 200 && plan.status < 300 && isHtml(plan.fields);
  const path = pathOf(target);
  return scope.some((prefix) => path.startsWith(prefix));
}

/** The path of a target in origin form (query dropped) or absolute form (scheme and host too). */
function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const authority = target.indexOf("//");
    start = authority < 0 ? target.length : target.indexOf("/", authority + 2);
    if (start < 0) return "/";
  }
  const q = target.indexOf("?", start);
  return target.slice(start, q < 0 ? target.length : q);
}

/** Whether fields say the body is an HTML document, remembered per fields array. */
const htmlFields = new WeakMap<ResponseFields, boolean>();

function isHtml(fields: ResponseFields): boolean {
  let h = htmlFields.get(fields);
  if (h === undefined) {
    h = fields.some(([name, v]) =>
      name.toLowerCase() === "content-type" &&
      /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i.test(v)
    );
    htmlFields.set(fields, h);
  }
  return h;
}

/** Whether fields say Cache-Control: public, remembered per fields array (memoized plans). */
const publicFields = new WeakMap<ResponseFields, boolean>();

function isPublic(fields: ResponseFields): boolean {
  let p = publicFields.get(fields);
  if (p === undefined) {
    p = fields.some(([name, v]) =>
      name.toLowerCase() === "cache-control" && listHasToken(v, "public")
    );
    publicFields.set(fields, p);
  }
  return p;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
