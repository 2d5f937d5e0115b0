/**
 * GET and HEAD (and POST to a file, answered like GET): locate the file, choose its
 * representation, then the stages in nginx order: not-modified (304/412), range
 * (206/416/multipart), digest, HEAD drops the body. Folders get index.html, a listing or 403
 * (listing Off, and always for upload folders: their names are not for every visitor).
 * @module
 */

import { join } from "node:path";
import type { ResponseFields } from "../http/response_head.ts";
import { renderListing } from "../pages/dir_listing.ts";
import {
  evaluateConditionals,
  ifRangeAllows,
  RETAINED_304_HEADERS,
  type Validators,
} from "./conditional.ts";
import type { Root, StaticContext, StaticRequest } from "./context.ts";
import { gzipStream } from "./compress.ts";
import { digestFields } from "./digest.ts";
import { type FileInfo, FsError } from "./fs_port.ts";
import { type MultipartPlan, newBoundary, planMultipart } from "./multipart.ts";
import { canUpload } from "./options.ts";
import { type FileVersion, NO_BODY, type ResponsePlan, withoutBody } from "./plan.ts";
import { contentRange, parseRange } from "./range.ts";
import {
  type FileTarget,
  isReadable,
  type Representation,
  representationFields,
  selectRepresentation,
} from "./representation.ts";
import { encodePath, type SafePath } from "./url_path.ts";

/** Plan GET/HEAD for a safe path under a root (the document root unless told otherwise). */
export async function planGet(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
  at: Root = ctx.site,
): Promise<ResponsePlan> {
  const local = join(at.root, t.path);
  let info: FileInfo;
  try {
    info = await at.fs.stat(local);
  } catch (e) {
    return ctx.fsError(req, e, local);
  }
  if (info.isDirectory) return await planDirectory(ctx, req, t, { local, at });
  if (!info.isFile) {
    return ctx.error(req, 403, {
      note: { level: "warn", message: `not a regular file: ${local}` },
    });
  }
  // nginx: "/file.txt/" names a folder that does not exist.
  if (t.trailingSlash) return ctx.error(req, 404);
  return await planFile(ctx, req, { urlPath: t.path, local, info, at });
}

/** Plan the response for a regular file (GET, HEAD, or POST answered like GET). */
export async function planFile(
  ctx: StaticContext,
  req: StaticRequest,
  f: FileTarget,
): Promise<ResponsePlan> {
  // A file with no read permission bits is never served, even by a server running as root.
  if (!isReadable(f.info)) {
    return ctx.error(req, 403, {
      note: { level: "error", message: `file is not readable: ${f.local}` },
    });
  }
  const rep = await selectRepresentation(ctx, req, f);
  const v: Validators = { etag: rep.etag, lastModifiedMs: rep.info.mtimeMs, exists: true };
  const fields = representationFields(ctx, f.urlPath, rep);
  const h = req.headers;
  const cond = evaluateConditionals(req.method, {
    ifMatch: h.combined("if-match"),
    ifNoneMatch: h.combined("if-none-match"),
    ifModifiedSince: h.get("if-modified-since"),
    ifUnmodifiedSince: h.get("if-unmodified-since"),
  }, v);
  if (cond === 304) return notModified(fields);
  if (cond === 412) return ctx.error(req, 412, { fields: [["ETag", rep.etag]] });
  if (rep.onTheFly) return gzipPlan(req, rep, fields, f.at);
  const plan = await withDigest(ctx, rangedPlan(ctx, req, rep, fields, v, f.at), rep, f.at);
  if (req.method === "HEAD") return withoutBody(plan);
  return await inlineSmall(ctx, req, { plan, rep, at: f.at });
}

/**
 * A small file, a slice of it or a multipart set of its ranges is sent from memory: no
 * open/read/close per request once the bytes are cached, and one buffer for the whole body.
 * A file that is no longer a regular file inside the root is 403 at once; other failures fall
 * back to reading the file, whose error the writer reports (404, or 503 when it changed).
 */
async function inlineSmall(
  ctx: StaticContext,
  req: StaticRequest,
  p: { readonly plan: ResponsePlan; readonly rep: Representation; readonly at: Root },
): Promise<ResponsePlan> {
  const { plan, rep, at } = p;
  const body = plan.body;
  const max = ctx.options.inlineMaxBytes ?? 0;
  if ((body.kind !== "file" && body.kind !== "multipart") || rep.info.size > max) return plan;
  let data: Uint8Array;
  try {
    data = await at.fs.readFile(body.path, versionOf(rep));
  } catch (e) {
    if (e instanceof FsError && e.kind === "denied") return ctx.fsError(req, e, body.path);
    return plan; // the writer opens the file and reports the error
  }
  if (data.length !== rep.info.size) return plan;
  if (body.kind === "multipart") {
    return { ...plan, body: { kind: "bytes", data: assembleMultipart(body.plan, data) } };
  }
  const slice = body.start === 0 && body.length === data.length
    ? data
    : data.subarray(body.start, body.start + body.length);
  return { ...plan, body: { kind: "bytes", data: slice } };
}

/** The multipart/byteranges body for ranges of `data`, laid out as planned. */
export function assembleMultipart(mp: MultipartPlan, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(mp.contentLength);
  let at = 0;
  for (const part of mp.parts) {
    out.set(part.head, at);
    at += part.head.length;
    const slice = data.subarray(part.range.start, part.range.end + 1);
    out.set(slice, at);
    at += slice.length;
  }
  out.set(mp.tail, at);
  return out;
}

/** The version the plan's Content-Length and validators describe. */
function versionOf(rep: Representation): FileVersion {
  return { size: rep.info.size, mtimeMs: rep.info.mtimeMs, ino: rep.info.ino };
}

/** 304 keeps only the fields RFC 9110 §15.4.5 lists, and never has a body. */
export function notModified(fields: ResponseFields): ResponsePlan {
  return {
    status: 304,
    fields: fields.filter(([n]) => RETAINED_304_HEADERS.has(n.toLowerCase())),
    body: NO_BODY,
  };
}

/**
 * 200 with gzip made while sending: no length (the writer frames it, chunked in HTTP/1.1);
 * HEAD opens nothing.
 */
function gzipPlan(
  req: StaticRequest,
  rep: Representation,
  fields: ResponseFields,
  at: Root,
): ResponsePlan {
  if (req.method === "HEAD") return { status: 200, fields, body: NO_BODY };
  return {
    status: 200,
    fields,
    body: { kind: "stream", stream: gzipStream(at.fs.openStream(rep.local)) },
  };
}

/** The range stage: 200 full, 206 single or multipart, or 416 (RFC 9110 §14). */
function rangedPlan(
  ctx: StaticContext,
  req: StaticRequest,
  rep: Representation,
  fields: ResponseFields,
  v: Validators,
  at: Root,
): ResponsePlan {
  const size = rep.info.size;
  const full: ResponsePlan = {
    status: 200,
    fields: [...fields, ["Content-Length", String(size)]],
    body: {
      kind: "file",
      fs: at.fs,
      path: rep.local,
      start: 0,
      length: size,
      version: versionOf(rep),
    },
  };
  const header = req.headers.get("range");
  if (header === undefined || req.method === "POST") return full;
  if (!ifRangeAllows(req.headers.get("if-range"), v)) return full;
  const r = parseRange(header, size, { maxRanges: ctx.options.maxRanges });
  if (r.kind === "ignore") return full;
  if (r.kind === "unsatisfiable") {
    return ctx.error(req, 416, { fields: [["Content-Range", `bytes */${size}`]] });
  }
  // A multipart envelope is not itself gzip/br: several ranges of an encoded sibling get 200
  // (RFC 9110 §14.2 lets a server ignore Range).
  if (r.ranges.length > 1 && rep.coding !== null) return full;
  const one = r.ranges.length === 1 ? r.ranges[0]! : null;
  if (one !== null) {
    const length = one.end - one.start + 1;
    return {
      status: 206,
      fields: [...fields, ["Content-Range", contentRange(one, size)], [
        "Content-Length",
        String(length),
      ]],
      body: {
        kind: "file",
        fs: at.fs,
        path: rep.local,
        start: one.start,
        length,
        version: versionOf(rep),
      },
    };
  }
  const mp = planMultipart(r.ranges, size, fields[0]![1], newBoundary());
  const rest = fields.filter(([n]) => n !== "Content-Type");
  return {
    status: 206,
    fields: [["Content-Type", mp.contentType], ...rest, [
      "Content-Length",
      String(mp.contentLength),
    ]],
    body: { kind: "multipart", fs: at.fs, path: rep.local, plan: mp, version: versionOf(rep) },
  };
}

/** Content-MD5 and Repr-Digest on a full 200 (ContentDigest On), once per file version. */
async function withDigest(
  ctx: StaticContext,
  plan: ResponsePlan,
  rep: Representation,
  at: Root,
): Promise<ResponsePlan> {
  if (ctx.digests === null || plan.status !== 200 || plan.body.kind !== "file") return plan;
  // Hashing reads the whole file before the first byte goes out: above ContentDigestMaxSize the
  // response goes without digests rather than stall (and a HEAD never reads a large file).
  if (rep.info.size > ctx.options.contentDigestMaxBytes) return plan;
  const d = await ctx.digests.get(at.fs, rep.local, rep.etag, rep.info.size);
  return d === null ? plan : { ...plan, fields: [...plan.fields, ...digestFields(d)] };
}

async function planDirectory(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
  d: { readonly local: string; readonly at: Root },
): Promise<ResponsePlan> {
  if (!t.trailingSlash) {
    // nginx: a directory without "/" redirects to the canonical URL, keeping the query.
    const location = encodePath(t.path) + "/" + (t.query === "" ? "" : "?" + t.query);
    return ctx.error(req, 301, { fields: [["Location", location]] });
  }
  const index = join(d.local, "index.html");
  try {
    const info = await d.at.fs.stat(index);
    if (info.isFile) {
      const urlPath = (t.path === "/" ? "" : t.path) + "/index.html";
      return await planFile(ctx, req, { urlPath, local: index, info, at: d.at });
    }
  } catch (e) {
    if (!(e instanceof FsError && e.kind === "not-found")) return ctx.fsError(req, e, index);
  }
  // Upload folders are never listed: what others uploaded is not for every visitor to see.
  const uploads = canUpload(ctx.policy, t.path);
  if (!ctx.options.directoryListing || uploads) {
    const why = uploads ? "upload folders are never listed" : "directory index forbidden";
    return ctx.error(req, 403, { note: { level: "info", message: `${why}: ${d.local}` } });
  }
  return await planListing(ctx, req, t, d);
}

async function planListing(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
  d: { readonly local: string; readonly at: Root },
): Promise<ResponsePlan> {
  let entries;
  try {
    entries = await d.at.fs.readDir(d.local);
  } catch (e) {
    return ctx.fsError(req, e, d.local);
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
