/**
 * Static-file responder: request -> ResponsePlan over a FileSystem port. No sockets, no streams
 * of its own; the plan is built in nginx's order: locate, base 200, conditional, range, HEAD.
 * @module
 */

import { join } from "node:path";
import type { FieldList } from "../http/headers.ts";
import { formatHttpDate } from "../http/http_date.ts";
import type { ResponseFields } from "../http/response_head.ts";
import type { ErrorPageSet } from "../pages/error_pages.ts";
import { renderListing } from "../pages/dir_listing.ts";
import {
  evaluateConditionals,
  ifRangeAllows,
  RETAINED_304_HEADERS,
  type Validators,
} from "./conditional.ts";
import { type ErrorOptions, errorPlan } from "./error_plan.ts";
import { makeETag } from "./etag.ts";
import { type FileInfo, type FileSystem, FsError, type FsErrorKind } from "./fs_port.ts";
import { contentTypeFor } from "./mime.ts";
import { newBoundary, planMultipart } from "./multipart.ts";
import { NO_BODY, type ResponsePlan, withoutBody } from "./plan.ts";
import { contentRange, parseRange } from "./range.ts";
import { encodePath, resolveTarget, type SafePath } from "./url_path.ts";

/** A request as the responder sees it. */
export interface StaticRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: FieldList;
  /** The decoded body, or null when the request has none. */
  readonly body: AsyncIterable<Uint8Array> | null;
}

/** Settings the responder uses (a slice of Config). */
export interface StaticOptions {
  readonly documentRoot: string;
  /** The error/ folder; its files (error.css) are served under ERROR_ASSET_PREFIX. */
  readonly errorAssets: string;
  readonly directoryListing: boolean;
  readonly maxRanges: number;
  readonly cacheControl: ReadonlyArray<{ readonly pattern: string; readonly value: string }>;
}

/** What the responder depends on. */
export interface ResponderDeps {
  readonly fs: FileSystem;
  /** The error/ folder's file system (its own root for the symlink check). */
  readonly assetFs: FileSystem;
  readonly options: StaticOptions;
  readonly pages: ErrorPageSet;
}

/** Statuses for file-system failures, in one table (nginx ngx_http_static_module). */
export const FS_ERROR_STATUS: Readonly<Record<FsErrorKind, number>> = Object.freeze({
  "not-found": 404,
  "denied": 403,
  "exists": 409,
  "is-directory": 409,
  "not-empty": 409,
  "other": 500,
});

/** URL prefix of the error pages' shared assets; a dot path never clashes with the site's files. */
export const ERROR_ASSET_PREFIX = "/.error/";

/** Methods allowed on a static resource when writes are off. */
export const READ_METHODS = "GET, HEAD, POST, OPTIONS";

/** Plans responses for one document root. */
export class Responder {
  readonly #d: ResponderDeps;

  constructor(deps: ResponderDeps) {
    this.#d = deps;
  }

  /** Plan the response to a request whose head has already been checked. */
  async respond(req: StaticRequest): Promise<ResponsePlan> {
    const t = resolveTarget(req.target);
    if (
      req.target.startsWith(ERROR_ASSET_PREFIX) && (req.method === "GET" || req.method === "HEAD")
    ) {
      return await this.#errorAsset(req);
    }
    if (t.kind === "asterisk") {
      if (req.method === "OPTIONS") return optionsPlan(READ_METHODS);
      return this.error(req, 400, { message: "The target * is only valid for OPTIONS" });
    }
    if (t.kind === "reject") {
      return this.error(req, t.status, {
        note: { level: "info", message: `rejected target: ${t.reason}` },
      });
    }
    switch (req.method) {
      case "GET":
      case "HEAD":
      case "POST": // POST to a static file answers like GET, as Apache does
        return await this.#get(req, t);
      case "OPTIONS":
        return optionsPlan(READ_METHODS);
      default:
        return this.error(req, 403, {
          message: "Writing is disabled on this server",
          note: { level: "info", message: `${req.method} refused: WriteAccess is Off` },
        });
    }
  }

  /** Plan an error page for a request (HEAD gets the headers only). */
  error(req: { readonly method: string }, status: number, opts: ErrorOptions = {}): ResponsePlan {
    return errorPlan(this.#d.pages, status, { ...opts, headOnly: req.method === "HEAD" });
  }

  /** error/error.css and friends, for the error pages' <link>. */
  async #errorAsset(req: StaticRequest): Promise<ResponsePlan> {
    const t = resolveTarget("/" + req.target.slice(ERROR_ASSET_PREFIX.length));
    if (t.kind !== "path" || t.path === "/") return this.error(req, 404);
    return await this.#get(req, t, { root: this.#d.options.errorAssets, fs: this.#d.assetFs });
  }

  async #get(
    req: StaticRequest,
    t: SafePath,
    at = { root: this.#d.options.documentRoot, fs: this.#d.fs },
  ): Promise<ResponsePlan> {
    const local = join(at.root, t.path);
    let info: FileInfo;
    try {
      info = await at.fs.stat(local);
    } catch (e) {
      return this.#fsError(req, e, local);
    }
    if (info.isDirectory) return await this.#directory(req, t, local);
    if (!info.isFile) {
      return this.error(req, 403, {
        note: { level: "warn", message: `not a regular file: ${local}` },
      });
    }
    return this.#file(req, t.path, local, info);
  }

  async #directory(req: StaticRequest, t: SafePath, local: string): Promise<ResponsePlan> {
    if (!t.trailingSlash) {
      // nginx: a directory without "/" redirects to the canonical URL, keeping the query.
      const location = encodePath(t.path) + "/" + (t.query === "" ? "" : "?" + t.query);
      return this.error(req, 301, { fields: [["Location", location]] });
    }
    const index = join(local, "index.html");
    try {
      const info = await this.#d.fs.stat(index);
      if (info.isFile) {
        return this.#file(
          req,
          t.path + (t.path.endsWith("/") ? "" : "/") + "index.html",
          index,
          info,
        );
      }
    } catch (e) {
      if (!(e instanceof FsError && e.kind === "not-found")) return this.#fsError(req, e, index);
    }
    if (!this.#d.options.directoryListing) {
      return this.error(req, 403, {
        note: { level: "info", message: `directory index forbidden: ${local}` },
      });
    }
    return await this.#listing(req, t, local);
  }

  async #listing(req: StaticRequest, t: SafePath, local: string): Promise<ResponsePlan> {
    let entries;
    try {
      entries = await this.#d.fs.readDir(local);
    } catch (e) {
      return this.#fsError(req, e, local);
    }
    const urlPath = t.path === "/" ? "/" : t.path + "/";
    const html = new TextEncoder().encode(renderListing({ urlPath, entries }));
    const plan: ResponsePlan = {
      status: 200,
      fields: [
        ["Content-Type", "text/html; charset=utf-8"],
        ["Content-Length", String(html.length)],
        ["Cache-Control", "no-cache"],
        ["X-Content-Type-Options", "nosniff"],
      ],
      body: { kind: "bytes", data: html },
    };
    return req.method === "HEAD" ? withoutBody(plan) : plan;
  }

  #file(req: StaticRequest, urlPath: string, local: string, info: FileInfo): ResponsePlan {
    // A file with no read permission bits is never served, even by a server running as root.
    if (info.mode !== null && (info.mode & 0o444) === 0) {
      return this.error(req, 403, {
        note: { level: "error", message: `file is not readable: ${local}` },
      });
    }
    const v: Validators = { etag: makeETag(info), lastModifiedMs: info.mtimeMs, exists: true };
    const fields = this.#representationFields(urlPath, info, v);
    const h = req.headers;
    const cond = evaluateConditionals(req.method, {
      ifMatch: h.combined("if-match"),
      ifNoneMatch: h.combined("if-none-match"),
      ifModifiedSince: h.get("if-modified-since"),
      ifUnmodifiedSince: h.get("if-unmodified-since"),
    }, v);
    if (cond === 304) return notModified(fields);
    if (cond === 412) return this.error(req, 412, { fields: [["ETag", v.etag!]] });
    const plan = this.#ranged(req, local, info, fields, v);
    return req.method === "HEAD" ? withoutBody(plan) : plan;
  }

  #representationFields(urlPath: string, info: FileInfo, v: Validators): ResponseFields {
    const fields: ResponseFields = [
      ["Content-Type", contentTypeFor(urlPath)],
      ["Last-Modified", formatHttpDate(info.mtimeMs)],
      ["ETag", v.etag!],
      ["Accept-Ranges", "bytes"],
    ];
    const cc = cacheControlFor(this.#d.options.cacheControl, urlPath);
    if (cc !== null) fields.push(["Cache-Control", cc]);
    fields.push(["X-Content-Type-Options", "nosniff"]);
    return fields;
  }

  #ranged(
    req: StaticRequest,
    local: string,
    info: FileInfo,
    fields: ResponseFields,
    v: Validators,
  ): ResponsePlan {
    const full: ResponsePlan = {
      status: 200,
      fields: [...fields, ["Content-Length", String(info.size)]],
      body: { kind: "file", path: local, start: 0, length: info.size },
    };
    const header = req.headers.get("range");
    if (header === undefined || req.method === "POST") return full;
    if (!ifRangeAllows(req.headers.get("if-range"), v)) return full;
    const r = parseRange(header, info.size, { maxRanges: this.#d.options.maxRanges });
    if (r.kind === "ignore") return full;
    if (r.kind === "unsatisfiable") {
      return this.error(req, 416, { fields: [["Content-Range", `bytes */${info.size}`]] });
    }
    const one = r.ranges.length === 1 ? r.ranges[0]! : null;
    if (one !== null) {
      return {
        status: 206,
        fields: [...fields, ["Content-Range", contentRange(one, info.size)], [
          "Content-Length",
          String(one.end - one.start + 1),
        ]],
        body: { kind: "file", path: local, start: one.start, length: one.end - one.start + 1 },
      };
    }
    const type = fields[0]![1];
    const mp = planMultipart(r.ranges, info.size, type, newBoundary());
    const rest = fields.filter(([n]) => n !== "Content-Type");
    return {
      status: 206,
      fields: [["Content-Type", mp.contentType], ...rest, [
        "Content-Length",
        String(mp.contentLength),
      ]],
      body: { kind: "multipart", path: local, plan: mp },
    };
  }

  #fsError(req: StaticRequest, e: unknown, path: string): ResponsePlan {
    const kind = e instanceof FsError ? e.kind : "other";
    const status = FS_ERROR_STATUS[kind];
    const level = status === 500 ? "crit" : status === 403 ? "error" : "info";
    const why = e instanceof Error ? e.message : String(e);
    return this.error(req, status, { note: { level, message: `${path}: ${why}` } });
  }
}

/** 304 keeps only the fields RFC 9110 §15.4.5 lists, and never has a body. */
function notModified(fields: ResponseFields): ResponsePlan {
  return {
    status: 304,
    fields: fields.filter(([n]) => RETAINED_304_HEADERS.has(n.toLowerCase())),
    body: NO_BODY,
  };
}

function optionsPlan(allow: string): ResponsePlan {
  return { status: 204, fields: [["Allow", allow]], body: NO_BODY };
}

/** The first Cache-Control rule matching a URL path: "*.ext" by extension, else a glob on the path. */
export function cacheControlFor(
  rules: ReadonlyArray<{ readonly pattern: string; readonly value: string }>,
  urlPath: string,
): string | null {
  for (const r of rules) {
    if (
      globMatch(
        r.pattern,
        r.pattern.startsWith("/") ? urlPath : urlPath.slice(urlPath.lastIndexOf("/") + 1),
      )
    ) {
      return r.value;
    }
  }
  return null;
}

function globMatch(pattern: string, s: string): boolean {
  const re = "^" +
    pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$";
  return new RegExp(re).test(s);
}
