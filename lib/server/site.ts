/**
 * Everything one worker needs to answer from its document root, built from Config: the
 * responder over the cached file systems, the memo and the error pages.
 * pipeline.ts puts them in order with the status page and the session.
 * @module
 */

import {
  type Authenticator,
  BasicAuthenticator,
  unavailableAuthenticator,
} from "../auth/basic_auth.ts";
import { parsePasswordFile } from "../auth/password_file.ts";
import { PasswordGate } from "../auth/password_gate.ts";
import type { Config } from "../config/config.ts";
import { ownFiles } from "../config/own_files.ts";
import { buildErrorPages, type ErrorPageSet } from "../pages/error_pages.ts";
import { DenoFileSystem } from "../static/deno_fs.ts";
import { CachedFileSystem } from "../static/file_cache.ts";
import type { FileSystem } from "../static/fs_port.ts";
import { errorPlan } from "../static/error_plan.ts";
import type { ResponsePlan } from "../static/plan.ts";
import { Responder } from "../static/responder.ts";
import { ResponseMemo } from "../static/response_memo.ts";
import { shareOf } from "./admission.ts";
import type { Handler, ServerRequest } from "./request.ts";
import type { ErrorPlanner } from "./status_endpoint.ts";

/** A worker's document root, independent of sockets. */
export interface Site {
  readonly pages: ErrorPageSet;
  /** The responder (without the memo: the pipeline puts it in front). */
  readonly respond: Handler;
  /** Plans for repeated questions, cleared whenever a file is written or removed. */
  readonly memo: ResponseMemo;
  readonly errorPlan: ErrorPlanner;
}

/**
 * Build a worker's site.
 * @param templates error page templates by status, loaded once by the main thread
 * @param now the clock of the memo and the file cache (a worker passes its LoopClock's)
 */
export function buildSite(
  config: Config,
  templates: Readonly<Record<string, string>>,
  now: () => number = Date.now,
): Site {
  const root = Deno.realPathSync(config.documentRoot);
  const pages = buildErrorPages(new Map(Object.entries(templates).map(([k, v]) => [Number(k), v])));
  const assets = Deno.realPathSync(config.errorPages);
  // The server's own files (keys, passwords, logs, http.conf) are never served nor written.
  const chunk = { chunkSize: config.readChunkSize, ownFiles: ownFiles(config).map((f) => f.path) };
  // The memo and the file cache each trust what they hold for half of FileCacheRevalidate, so
  // a memoized plan built from a stat that was already cached is never older than the interval.
  const memo = new ResponseMemo({
    ttlMs: config.fileCacheBytes === 0 ? 0 : config.fileCacheRevalidateMs / 2,
    maxEntries: MEMO_ENTRIES,
    maxBodyBytes: config.fileCacheMaxFile,
    now,
  });
  const files = new FileCaches(config, memo, now);
  const responder = new Responder({
    fs: files.add(new DenoFileSystem(root, chunk)),
    assetFs: files.add(new DenoFileSystem(assets, chunk)),
    pages,
    auth: loadAuthenticator(config, now),
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
  const plan: ErrorPlanner = (status, method, message) =>
    errorPlan(pages, status, {
      headOnly: method === "HEAD",
      ...(message === undefined ? {} : { message }),
    });
  return {
    pages,
    respond: config.logNotFound ? base : withoutNotFoundNotes(base),
    memo,
    errorPlan: plan,
  };
}

/**
 * The PasswordFile's users, read once per worker, behind this worker's share of the limits on
 * password checks. A file that cannot be read or parsed does not stop the worker (reads keep
 * working); every write then fails with 500 and a crit log line.
 */
function loadAuthenticator(config: Config, now: () => number): Authenticator | null {
  const path = config.passwordFile;
  if (path === "") return null;
  try {
    const gate = new PasswordGate({
      attemptsPerSecond: shareOf(config.authAttemptsPerSecond, config.workers),
      failureMemoryMs: config.authFailureMemoryMs,
      maxChecks: shareOf(config.maxPasswordChecks, config.workers),
      now,
    });
    return new BasicAuthenticator(parsePasswordFile(Deno.readTextFileSync(path)), { gate });
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
 * A worker's file caches (document root, error assets) and the one place that learns a file
 * changed: a write or removal through this worker, or the same in another worker of the process
 * (BroadcastChannel). Either way the path leaves every cache and the memo is cleared. Edits
 * made by anything else show up within FileCacheRevalidate.
 */
class FileCaches {
  readonly #caches: CachedFileSystem[] = [];
  readonly #memo: ResponseMemo;
  readonly #config: Config;
  readonly #now: () => number;
  readonly #channel = new BroadcastChannel(INVALIDATE_CHANNEL);

  constructor(config: Config, memo: ResponseMemo, now: () => number) {
    this.#config = config;
    this.#memo = memo;
    this.#now = now;
    this.#channel.onmessage = (e: MessageEvent<string>) => this.#invalidate(e.data);
  }

  /** Put a cache in front of a file system. */
  add(inner: FileSystem): FileSystem {
    const c = this.#config;
    const cache = new CachedFileSystem(inner, {
      maxBytes: c.fileCacheBytes,
      maxFileSize: Math.min(c.fileCacheMaxFile, c.fileCacheBytes),
      revalidateMs: c.fileCacheBytes === 0 ? 0 : c.fileCacheRevalidateMs / 2,
      maxEntries: c.fileCacheBytes === 0 ? 0 : FILE_CACHE_ENTRIES,
      now: this.#now,
    });
    cache.onInvalidate = (path) => {
      this.#invalidate(path);
      this.#channel.postMessage(path);
    };
    this.#caches.push(cache);
    return cache;
  }

  #invalidate(path: string): void {
    for (const c of this.#caches) c.invalidate(path);
    this.#memo.clear();
  }
}
