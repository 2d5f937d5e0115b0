/**
 * Static-file responder: request -> ResponsePlan over a FileSystem port. No sockets, no streams
 * of its own. It resolves the target once, then hands the request to the stage module for its
 * method: get.ts (GET/HEAD), write.ts (PUT/DELETE/POST), options.ts (Allow).
 * @module
 */

import { type ResponderDeps, StaticContext, type StaticRequest } from "./context.ts";
import type { ErrorOptions } from "./error_plan.ts";
import { FsError } from "./fs_port.ts";
import { planGet } from "./get.ts";
import { allowFor, optionsPlan, type ResourceKind, serverAllow } from "./options.ts";
import type { ResponsePlan } from "./plan.ts";
import { resolveTarget, type SafePath } from "./url_path.ts";
import { folderKind, planDelete, planPost, planPut } from "./write.ts";

export { FS_ERROR_STATUS } from "./context.ts";
export type { ResponderDeps, StaticOptions, StaticRequest } from "./context.ts";
export { cacheControlFor } from "./cache_control.ts";

/** URL prefix of the error pages' shared assets; a dot path never clashes with the site's files. */
export const ERROR_ASSET_PREFIX = "/.error/";

/** Methods allowed on a static file when writes are off. */
export const READ_METHODS = "GET, HEAD, POST, OPTIONS";

/** Plans responses for one document root. */
export class Responder {
  readonly #ctx: StaticContext;

  constructor(deps: ResponderDeps) {
    this.#ctx = new StaticContext(deps);
  }

  /** Plan the response to a request whose head has already been checked. */
  async respond(req: StaticRequest): Promise<ResponsePlan> {
    const ctx = this.#ctx;
    if (
      req.target.startsWith(ERROR_ASSET_PREFIX) && (req.method === "GET" || req.method === "HEAD")
    ) {
      return await this.#errorAsset(req);
    }
    const t = resolveTarget(req.target);
    if (t.kind === "asterisk") {
      if (req.method === "OPTIONS") return optionsPlan(serverAllow(ctx.policy));
      return ctx.error(req, 400, { message: "The target * is only valid for OPTIONS" });
    }
    if (t.kind === "reject") {
      return ctx.error(req, t.status, {
        note: { level: "info", message: `rejected target: ${t.reason}` },
      });
    }
    switch (req.method) {
      case "GET":
      case "HEAD":
        return await planGet(ctx, req, t);
      case "POST":
        return await planPost(ctx, req, t);
      case "PUT":
        return await planPut(ctx, req, t);
      case "DELETE":
        return await planDelete(ctx, req, t);
      case "OPTIONS":
        return await this.#options(req, t);
      default: // the connection answers 501 before other methods get here
        return ctx.error(req, 501);
    }
  }

  /** Plan an error page for a request (HEAD gets the headers only). */
  error(req: { readonly method: string }, status: number, opts: ErrorOptions = {}): ResponsePlan {
    return this.#ctx.error(req, status, opts);
  }

  /** OPTIONS for a path: 204 with the methods that resource allows. */
  async #options(req: StaticRequest, t: SafePath): Promise<ResponsePlan> {
    const local = this.#ctx.local(t.path);
    let kind: ResourceKind;
    try {
      const info = await this.#ctx.site.fs.stat(local);
      kind = info.isDirectory ? await folderKind(this.#ctx, local) : "file";
    } catch (e) {
      if (!(e instanceof FsError && e.kind === "not-found")) {
        return this.#ctx.fsError(req, e, local);
      }
      kind = "missing";
    }
    return optionsPlan(allowFor(this.#ctx.policy, kind, t.path));
  }

  /** error/error.css and friends, for the error pages' <link>. */
  async #errorAsset(req: StaticRequest): Promise<ResponsePlan> {
    const t = resolveTarget("/" + req.target.slice(ERROR_ASSET_PREFIX.length));
    if (t.kind !== "path" || t.path === "/") return this.#ctx.error(req, 404);
    return await planGet(this.#ctx, req, t, this.#ctx.assets);
  }
}
