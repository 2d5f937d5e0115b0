/**
 * What every stage of the responder shares: the request shape, settings, dependencies, and
 * the one way to plan an error (page, log note, file-system error -> status table).
 * @module
 */

import { join } from "node:path";
import type { Authenticator } from "../auth/basic_auth.ts";
import type { FieldList } from "../http/headers.ts";
import type { ErrorPageSet } from "../pages/error_pages.ts";
import {
  type CacheControlLookup,
  type CacheControlRule,
  compileCacheRules,
} from "./cache_control.ts";
import type { CompressionPolicy } from "./compress.ts";
import { DigestCache } from "./digest.ts";
import { type ErrorOptions, errorPlan } from "./error_plan.ts";
import { type FileSystem, FsError, type FsErrorKind } from "./fs_port.ts";
import { newUploadName } from "./mime.ts";
import { compileWritePolicy, type WritePolicy } from "./options.ts";
import type { ResponsePlan } from "./plan.ts";

/** A request as the responder sees it. */
export interface StaticRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: FieldList;
  /** The decoded body, or null when the request has none (no framing, or Content-Length: 0). */
  readonly body: AsyncIterable<Uint8Array> | null;
  /**
   * Whether the protocol can carry a body whose length is not known in advance without closing
   * the connection (false for HTTP/1.0, which has no chunked coding); rules out on-the-fly
   * compression. Default true.
   */
  readonly streamable?: boolean;
  /**
   * The client's address, for per-client limits (password checks): the connection's peer, or
   * the address a proxy vouches for. Default "" (all unknown clients share one allowance).
   */
  readonly clientIp?: string;
}

/** Settings the responder uses (a slice of Config). */
export interface StaticOptions {
  readonly documentRoot: string;
  /** The error/ folder; its files (error.css) are served under ERROR_ASSET_PREFIX. */
  readonly errorAssets: string;
  readonly directoryListing: boolean;
  readonly maxRanges: number;
  readonly cacheControl: ReadonlyArray<CacheControlRule>;
  /** Content-MD5 and Repr-Digest on full 200 responses. */
  readonly contentDigest: boolean;
  /** Files larger than this get no digests (ContentDigestMaxSize). */
  readonly contentDigestMaxBytes: number;
  /** PUT and DELETE under writePaths, with credentials. */
  readonly writeAccess: boolean;
  readonly writePaths: readonly string[];
  /** Folders (URL prefixes) where POST stores a new file. */
  readonly uploadPaths: readonly string[];
  readonly compression: boolean;
  readonly compressionMinSize: number;
  /** Lower-case media types without parameters. */
  readonly compressionTypes: readonly string[];
  /**
   * Files up to this size are sent from memory (FileSystem.readFile, cached by
   * CachedFileSystem) in the same write as the head; larger ones are streamed from disk.
   * Optional so test contexts can leave it out (0: always stream).
   */
  readonly inlineMaxBytes?: number;
}

/** What the responder depends on. */
export interface ResponderDeps {
  readonly fs: FileSystem;
  /** The error/ folder's file system (its own root for the symlink check). */
  readonly assetFs: FileSystem;
  readonly options: StaticOptions;
  readonly pages: ErrorPageSet;
  /**
   * Checks credentials of writes; null when there is no PasswordFile (PUT/DELETE are then
   * refused with 403, uploads to UploadPaths are anonymous).
   */
  readonly auth: Authenticator | null;
  /** Makes the file name of an upload (tests pass a fixed one). */
  readonly uploadName?: (contentType: string | undefined) => string;
  /** Digest cache (tests pass their own). */
  readonly digests?: DigestCache;
}

/** A document root and the file system that reaches it. */
export interface Root {
  readonly root: string;
  readonly fs: FileSystem;
}

/** Statuses for file-system failures, in one table (nginx ngx_http_static_module). */
export const FS_ERROR_STATUS: Readonly<Record<FsErrorKind, number>> = Object.freeze({
  "not-found": 404,
  "denied": 403,
  "exists": 409,
  "is-directory": 409,
  "not-empty": 409,
  "changed": 503,
  "no-space": 507, // RFC 4918 §11.5 Insufficient Storage
  "other": 500,
});

/** Dependencies plus everything compiled once from the options. */
export class StaticContext {
  readonly options: StaticOptions;
  readonly pages: ErrorPageSet;
  readonly auth: Authenticator | null;
  /** The document root. */
  readonly site: Root;
  /** The error/ folder. */
  readonly assets: Root;
  readonly cacheControl: CacheControlLookup;
  readonly policy: WritePolicy;
  readonly compression: CompressionPolicy;
  readonly digests: DigestCache | null;
  readonly uploadName: (contentType: string | undefined) => string;

  constructor(d: ResponderDeps) {
    const o = d.options;
    this.options = o;
    this.pages = d.pages;
    this.auth = d.auth;
    this.site = { root: o.documentRoot, fs: d.fs };
    this.assets = { root: o.errorAssets, fs: d.assetFs };
    this.cacheControl = compileCacheRules(o.cacheControl);
    this.policy = compileWritePolicy(o);
    this.compression = {
      enabled: o.compression,
      minSize: o.compressionMinSize,
      types: new Set(o.compressionTypes),
    };
    this.digests = o.contentDigest ? (d.digests ?? new DigestCache()) : null;
    this.uploadName = d.uploadName ?? newUploadName;
  }

  /** The local path of a decoded URL path under the document root. */
  local(urlPath: string): string {
    return join(this.site.root, urlPath);
  }

  /** Plan an error page for a request (HEAD gets the headers only). */
  error(req: { readonly method: string }, status: number, opts: ErrorOptions = {}): ResponsePlan {
    return errorPlan(this.pages, status, { ...opts, headOnly: req.method === "HEAD" });
  }

  /** Plan the error for a failed file-system call, logged at a level matching its status. */
  fsError(req: { readonly method: string }, e: unknown, path: string): ResponsePlan {
    const kind = e instanceof FsError ? e.kind : "other";
    const status = FS_ERROR_STATUS[kind];
    // A full disk is the administrator's to fix: said at error level, as a denied path is.
    const level = status === 500 ? "crit" : status === 403 || status === 507 ? "error" : "info";
    const why = e instanceof Error ? e.message : String(e);
    const message = why.includes(path) ? why : `${path}: ${why}`;
    return this.error(req, status, { note: { level, message } });
  }
}
