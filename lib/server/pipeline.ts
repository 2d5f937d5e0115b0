/**
 * What answers a request, in order. This file is the one place that order is written:
 *
 * 1. **Status page** (status_endpoint.ts): `ServerStatusPath` for allowed clients; an
 *    operator's page, so it gets no session cookie.
 * 2. **Memo** (static/response_memo.ts): a plan made for the same question about the same file
 *    version, returned at once.
 * 3. **Responder** (static/responder.ts): the document root's answer to GET, HEAD, POST, PUT,
 *    DELETE and OPTIONS.
 * 4. **Session** (sessions.ts): the Set-Cookie line the plan gets, if any: a returning client is
 *    recognised on any request; a new one gets a cookie with a response in SessionCookieScope
 *    (by default HTML pages only); synchronous unless the shared store must be asked.
 * 5. **Fields every response gets:** Set-Cookie from step 4 (not on `Cache-Control: public`);
 *    then, when it is written, Server and Date (the writer's HeadCache) and the framing fields
 *    of the protocol (Connection, Transfer-Encoding: response_writer.ts for HTTP/1.1).
 * 6. **After the response** (request_counters.ts): the counters, once it has been written.
 *
 * The pipeline sees a ServerRequest and returns a ResponsePlan: no bytes, no socket, no
 * HTTP/1.1 framing, so another protocol (TLS is only a transport; HTTP/2 would be a framing)
 * drives the same pipeline.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import { memoized, type ResponseMemo } from "../static/response_memo.ts";
import type { FromWorker } from "./messages.ts";
import type { Handler, ServerRequest } from "./request.ts";
import { WorkerCounters } from "./request_counters.ts";
import { type ErrorLog, WorkerSessions } from "./sessions.ts";
import { openSharedStore } from "./shared_store.ts";
import { buildSite, type Site } from "./site.ts";
import { type ErrorPlanner, StatusEndpoint } from "./status_endpoint.ts";

/** A worker's answer to requests. */
export interface Pipeline {
  /** Plan the response to a request (synchronous when it can be: a memoized plan). */
  readonly answer: Handler;
  /** Plan the error page of a status (the connection's 400s and 408s, the writer's 404/503). */
  readonly errorPlan: ErrorPlanner;
  /** After a response was written (or failed): count it. */
  responded(req: ServerRequest | null, status: number, bytes: number): void;
}

/** The stages, each null when switched off. */
export interface Stages {
  readonly status: StatusEndpoint | null;
  readonly sessions: WorkerSessions | null;
  readonly memo: ResponseMemo;
  readonly responder: Handler;
  readonly errorPlan: ErrorPlanner;
  readonly counters: WorkerCounters | null;
}

/** Compose the stages in the order above. */
export function createPipeline(s: Stages): Pipeline {
  const respond = memoized(s.memo, s.responder);
  const sessions = s.sessions;
  const answer: Handler = (req) => {
    const page = s.status?.answer(req, s.errorPlan) ?? null;
    if (page !== null) return page;
    if (sessions === null) return respond(req);
    // The cookie is decided on the plan (SessionCookieScope: is it an HTML page?).
    const planned = respond(req);
    return planned instanceof Promise
      ? planned.then((plan) => sessions.withCookie(req, plan))
      : sessions.withCookie(req, planned);
  };
  const counters = s.counters;
  return {
    answer,
    errorPlan: s.errorPlan,
    responded: counters === null
      ? () => {}
      : (req, status, bytes) => counters.responded(req, status, bytes),
  };
}

/** What a worker gives its pipeline. */
export interface PipelineHost {
  readonly id: number;
  post(m: FromWorker): void;
  readonly log: ErrorLog;
  /** The worker's clock (cookie issue times, counters, the memo and the file cache). */
  readonly now: () => number;
}

/** A worker's pipeline and the parts it runs on its own schedule (flushes, status answers). */
export interface WorkerPipeline {
  readonly pipeline: Pipeline;
  readonly site: Site;
  readonly store: ResilientStore;
  readonly sessions: WorkerSessions | null;
  readonly counters: WorkerCounters;
  readonly status: StatusEndpoint | null;
}

/**
 * Build every stage from the config, over one shared store.
 * @param templates error page templates by status, loaded once by the main thread
 * @param sessionKey the session signing secret resolved by the main thread
 */
export function buildPipeline(
  config: Config,
  templates: Readonly<Record<string, string>>,
  sessionKey: string,
  host: PipelineHost,
): WorkerPipeline {
  const store = openSharedStore(config, host.id, (m) => host.post(m));
  const sessions = config.sessions
    ? new WorkerSessions(config, sessionKey, store, host.log, host.now)
    : null;
  const counters = new WorkerCounters({
    id: host.id,
    store,
    post: (m) => host.post(m),
    log: config.logLevel === "debug" ? host.log : null,
    now: host.now,
    maxNames: config.maxCounterNames,
  });
  const status = config.statusEnabled
    ? new StatusEndpoint(config, { id: host.id, store, post: (m) => host.post(m), log: host.log })
    : null;
  const site = buildSite(config, templates, host.now);
  const pipeline = createPipeline({
    status,
    sessions,
    memo: site.memo,
    responder: site.respond,
    errorPlan: site.errorPlan,
    counters,
  });
  return { pipeline, site, store, sessions, counters, status };
}
