/**
 * Everything one worker needs to answer requests, built from Config: the responder, error
 * pages, connection settings and the request handler chain.
 * @module
 */

import type { Config } from "../config/config.ts";
import { SERVER_NAME, SERVER_VERSION } from "../config/defaults.ts";
import { buildErrorPages, type ErrorPageSet } from "../pages/error_pages.ts";
import { DenoFileSystem } from "../static/deno_fs.ts";
import { errorPlan } from "../static/error_plan.ts";
import type { ResponsePlan } from "../static/plan.ts";
import { Responder } from "../static/responder.ts";
import type { ConnectionSettings, ServerRequest } from "./connection.ts";

/** A worker's request handling, independent of sockets. */
export interface Site {
  readonly settings: ConnectionSettings;
  readonly pages: ErrorPageSet;
  handle(req: ServerRequest): Promise<ResponsePlan>;
  errorPlan(status: number, method: string, message?: string): ResponsePlan;
}

/** The Server header value for a config (ServerTokens). */
export function serverHeader(config: Config): string {
  return config.serverTokens === "full" ? `${SERVER_NAME}/${SERVER_VERSION}` : SERVER_NAME;
}

/** Connection settings from a config. */
export function connectionSettings(config: Config): ConnectionSettings {
  return {
    limits: {
      maxRequestLine: config.maxRequestLine,
      maxHeaderBytes: config.maxHeaderBytes,
      maxHeaderCount: config.maxHeaderCount,
      maxBodySize: config.maxBodySize,
      maxChunkExtension: config.maxChunkExtension,
    },
    maxRequestsPerConnection: config.maxRequestsPerConnection,
    headerTimeoutMs: config.headerTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    sendTimeoutMs: config.sendTimeoutMs,
    serverHeader: serverHeader(config),
    readChunkSize: config.readChunkSize,
  };
}

/**
 * Build a worker's site.
 * @param templates error page templates by status, loaded once by the main thread
 */
export function buildSite(config: Config, templates: Readonly<Record<string, string>>): Site {
  const root = Deno.realPathSync(config.documentRoot);
  const pages = buildErrorPages(new Map(Object.entries(templates).map(([k, v]) => [Number(k), v])));
  const assets = Deno.realPathSync(config.errorPages);
  const responder = new Responder({
    fs: new DenoFileSystem(root),
    assetFs: new DenoFileSystem(assets),
    pages,
    options: {
      documentRoot: root,
      errorAssets: assets,
      directoryListing: config.directoryListing,
      maxRanges: config.maxRanges,
      cacheControl: config.cacheControl,
    },
  });
  return {
    settings: connectionSettings(config),
    pages,
    handle: (req) => responder.respond(req),
    errorPlan: (status, method, message) =>
      errorPlan(pages, status, {
        headOnly: method === "HEAD",
        ...(message === undefined ? {} : { message }),
      }),
  };
}
