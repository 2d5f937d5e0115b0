/**
 * Everything one worker needs to answer requests, built from Config: the responder, error
 * pages, connection settings and the request handler chain.
 * @module
 */

import {
  type Authenticator,
  BasicAuthenticator,
  unavailableAuthenticator,
} from "../auth/basic_auth.ts";
import { parsePasswordFile } from "../auth/password_file.ts";
import type { Config } from "../config/config.ts";
import { SERVER_NAME, SERVER_VERSION } from "../config/defaults.ts";
import { buildErrorPages, type ErrorPageSet } from "../pages/error_pages.ts";
import { DenoFileSystem } from "../static/deno_fs.ts";
import { CachedFileSystem } from "../static/file_cache.ts";
import type { FileSystem } from "../static/fs_port.ts";
import { errorPlan } from "../static/error_plan.ts";
import type { ResponsePlan } from "../static/plan.ts";
import { Responder } from "../static/responder.ts";
import { memoized, ResponseMemo } from "./response_memo.ts";
import type { ConnectionSettings, Handler, ServerRequest } from "./connection.ts";

/** A worker's request handling, independent of sockets. */
export interface Site {
  readonly settings: ConnectionSettings;
  readonly pages: ErrorPageSet;
  handle: Handler;
  errorPlan(status: number, method: string, message?: string): ResponsePlan;
}

/**
 * Wraps the responder once per worker (status page, session cookie): given the next handler
 * and the error planner, returns the request handler.
 */
export type HandlerWrap = (next: Handler, errorPlan: Site["errorPlan"]) => Handler;

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
 * @param wrap what runs around the responder (sessions, status page), if anything
 * @param now the clock of the memo and the file cache (a worker passes its LoopClock's)
 */
export function buildSite(
  config: Config,
  templates: Readonly<Record<string, string>>,
  wrap?: HandlerWrap,
  now: () => number = Date.now,
): Site {
  const root = Deno.realPathSync(config.documentRoot);
  const pages = buildErrorPages(new Map(Object.entries(templates).map(([k, v]) => [Number(k), v])));
  const assets = Deno.realPathSync(config.errorPages);
  const chunk = { chunkSize: config.readChunkSize };
  // The memo and the file cache each trust what they hold for half of FileCacheRevalidate, so
  // a memoized plan built from a stat that was already cached is never older than the interval.
  const memo = new ResponseMemo({
    ttlMs: config.fileCacheBytes === 0 ? 0 : config.fileCacheRevalidateMs / 2,
    maxEntries: MEMO_ENTRIES,
    maxBodyBytes: config.fileCacheMaxFile,
    now,
  });
  const responder = new Responder({
    fs: cachedFs(config, new DenoFileSystem(root, chunk), memo, now),
    assetFs: cachedFs(config, new DenoFileSystem(assets, chunk), memo, now),
    pages,
    auth: loadAuthenticator(config.passwordFile),
    options: {
      documentRoot: root,
      errorAssets: assets,
      directoryListing: config.directoryListing,
      maxRanges: config.maxRanges,
      cacheControl: config.cacheControl,
      contentDigest: config.contentDigest,
      contentDigestMaxBytes: config.contentDigestMax,
      writeAccess: config.writeAccess,
      writePaths: config.writePaths,
      uploadPaths: config.uploadPaths,
      compression: config.compression,
      compressionMinSize: config.compressionMinSize,
      compressionTypes: config.compressionTypes,
      inlineMaxBytes: config.fileCacheMaxFile,
    },
  });
  const base = (req: ServerRequest) => responder.respond(req);
  const respond = memoized(memo, config.logNotFound ? base : withoutNotFoundNotes(base));
  const plan: Site["errorPlan"] = (status, method, message) =>
    errorPlan(pages, status, {
      headOnly: method === "HEAD",
      ...(message === undefined ? {} : { message }),
    });
  return {
    settings: connectionSettings(config),
    pages,
    handle: wrap === undefined ? respond : wrap(respond, plan),
    errorPlan: plan,
  };
}

/**
 * The PasswordFile's users, read once per worker. A file that cannot be read or parsed does not
 * stop the worker (reads keep working); every write then fails with 500 and a crit log line.
 */
function loadAuthenticator(path: string): Authenticator | null {
  if (path === "") return null;
  try {
    return new BasicAuthenticator(parsePasswordFile(Deno.readTextFileSync(path)));
  } catch (e) {
    return unavailableAuthenticator(`PasswordFile ${path}: ${e instanceof Error ? e.message : e}`);
  }
}

/** LogNotFound Off: 404 answers write nothing to error.log (nginx log_not_found off). */
function withoutNotFoundNotes(
  next: (req: ServerRequest) => Promise<ResponsePlan>,
): (req: ServerRequest) => Promise<ResponsePlan> {
  return async (req) => {
    const plan = await next(req);
    if (plan.status !== 404 || plan.note === undefined) return plan;
    const { note: _, ...rest } = plan;
    return rest;
  };
}

/** Most memoized plans a worker keeps. */
const MEMO_ENTRIES = 1000;

/** Most paths whose stat result a worker remembers. */
const FILE_CACHE_ENTRIES = 10_000;

/** Channel on which workers tell each other about files written or removed. */
const INVALIDATE_CHANNEL = "httpserver-file-cache";

/**
 * Wrap a file system in the worker's file cache. Writes made through one worker invalidate the
 * same path in every other worker of the process at once (BroadcastChannel); edits made by
 * anything else show up within FileCacheRevalidate.
 */
function cachedFs(
  config: Config,
  inner: FileSystem,
  memo: ResponseMemo,
  now: () => number,
): FileSystem {
  const cache = new CachedFileSystem(inner, {
    maxBytes: config.fileCacheBytes,
    maxFileSize: Math.min(config.fileCacheMaxFile, config.fileCacheBytes),
    revalidateMs: config.fileCacheBytes === 0 ? 0 : config.fileCacheRevalidateMs / 2,
    maxEntries: config.fileCacheBytes === 0 ? 0 : FILE_CACHE_ENTRIES,
    now,
  });
  const channel = new BroadcastChannel(INVALIDATE_CHANNEL);
  channel.onmessage = (e: MessageEvent<string>) => {
    cache.invalidate(e.data);
    memo.clear();
  };
  cache.onInvalidate = (path) => {
    memo.clear();
    channel.postMessage(path);
  };
  return cache;
}
