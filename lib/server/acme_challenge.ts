/**
 * The pipeline's first stage with ACME On: answer a CA's HTTP-01 challenge (RFC 8555 §8.3) at
 * `/.well-known/acme-challenge/<token>` with the token's key authorization, before any other
 * stage (a redirect to HTTPS, the status page, the document root) can see the request.
 *
 * The answers come from memory: the main thread's ACME client posts each token to every worker
 * (`set`). A token this instance does not know may belong to another instance's order, so with
 * Memcached it is looked up there (acme/cluster.ts put it, sealed with the session secret: an
 * answer nobody sealed is not given), bounded by MemcachedTimeout. A
 * challenge nobody knows goes on to the next stages (the document root may serve a file there,
 * as for a certbot webroot; else 404).
 * @module
 */

import { challengeToken } from "../acme/challenge_path.ts";
import { type ResponsePlan, withoutBody } from "../static/plan.ts";
import type { ServerRequest } from "./request.ts";

const encoder = new TextEncoder();

/** A worker's challenge answers. */
export class AcmeChallenges {
  readonly #tokens = new Map<string, string>();
  readonly #shared: ((token: string) => Promise<string | null>) | null;

  /**
   * @param shared another instance's answer to a token (acme/cluster.ts `sharedAnswers`), or
   *   null without Memcached
   * @param initial the tokens being answered when this worker started
   */
  constructor(
    shared: ((token: string) => Promise<string | null>) | null,
    initial: Readonly<Record<string, string>> = {},
  ) {
    this.#shared = shared;
    for (const [token, answer] of Object.entries(initial)) this.#tokens.set(token, answer);
  }

  /** Answer `token` with `keyAuthorization` from now on; null stops answering it. */
  set(token: string, keyAuthorization: string | null): void {
    if (keyAuthorization === null) this.#tokens.delete(token);
    else this.#tokens.set(token, keyAuthorization);
  }

  /**
   * The answer to a challenge request; null when the request is not one this stage answers
   * (a promise of null: Memcached did not know the token either).
   */
  answer(req: ServerRequest): ResponsePlan | Promise<ResponsePlan | null> | null {
    if (req.method !== "GET" && req.method !== "HEAD") return null;
    const token = challengeToken(req.target);
    if (token === null) return null;
    const known = this.#tokens.get(token);
    if (known !== undefined) return plan(req, known);
    if (this.#shared === null) return null;
    return this.#shared(token).then((v) => v === null ? null : plan(req, v));
  }
}

function plan(req: ServerRequest, keyAuthorization: string): ResponsePlan {
  const data = encoder.encode(keyAuthorization);
  const p: ResponsePlan = {
    status: 200,
    fields: [
      ["Content-Type", "text/plain"],
      ["Content-Length", String(data.length)],
      ["Cache-Control", "no-store"],
    ],
    body: { kind: "bytes", data },
  };
  return req.method === "HEAD" ? withoutBody(p) : p;
}
