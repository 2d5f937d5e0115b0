/**
 * A worker's cookie sessions (SessionManager over the shared store): the Set-Cookie line each
 * response gets, and the once-a-second batch of session updates.
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
   * The Set-Cookie line for the response to `req`, or null (a returning client). Synchronous
   * unless the store must be asked; never fails a response (an error is logged, no cookie).
   * Every request without a valid cookie gets a new session, even on a connection that was
   * given one already: behind a reverse proxy one connection carries many users.
   */
  cookieFor(req: ServerRequest): FieldLines | null | Promise<FieldLines | null> {
    try {
      const line = this.#manager.setCookieLine(req.headers, req.peer);
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
