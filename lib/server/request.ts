/**
 * A request as the pipeline sees it, whatever carried it: method, target, fields, a body
 * reader and the client. Nothing here is HTTP/1.1 framing, so the pipeline that answers it
 * would answer an HTTP/2 stream the same way.
 * @module
 */

import type { ResponsePlan } from "../static/plan.ts";
import type { StaticRequest } from "../static/responder.ts";

/** The client end of a connection. */
export interface Peer {
  readonly ip: string;
  readonly port: number;
}

/** How a request arrived: over plain TCP or over TLS. */
export type Scheme = "http" | "https";

/** A request: StaticRequest (method, target, fields, body, streamable), its client and scheme. */
export interface ServerRequest extends StaticRequest {
  readonly peer: Peer;
  /** "https" when the connection is TLS (HSTS, the HTTPS redirect, logs, the status page). */
  readonly scheme: Scheme;
}

/** Plans a response; synchronous when it can be (a memoized plan), so no promise is made. */
export type Handler = (req: ServerRequest) => ResponsePlan | Promise<ResponsePlan>;
