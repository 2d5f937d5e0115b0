/**
 * PUT, DELETE and POST (RFC 9110 §9.3.3-§9.3.5). Bodies go to a temporary file in the target's
 * folder that is renamed into place only when complete (FileSystem.writeAtomic), so an
 * interrupted upload never leaves a partial file.
 *
 * Decisions:
 * - PUT creates (201 + Location) or replaces (204); both carry the new ETag, since the stored
 *   bytes are exactly the bytes received (§9.3.4). Parent folders are never created: a
 *   missing parent, or a parent that is a file, is 409. A PUT to a folder is 405 (Allow lists
 *   what the folder supports); a target ending in "/" that is not a folder is 409.
 * - DELETE removes files only: a folder is 405 with Allow, a missing file 404.
 * - Preconditions (If-Match, If-None-Match: *, If-Unmodified-Since) are evaluated against the
 *   current file, or "does not exist", and fail with 412 before the body is read; they are
 *   checked again at commit, atomically with the rename or removal (a folder lock), so of two
 *   writers with the same validator exactly one wins.
 * - POST to a file answers like GET (Apache); to a folder under UploadPaths it stores the body
 *   as a new file named by newUploadName (201 + Location); to another folder URL ending in "/"
 *   with an index.html it answers like GET of that page; to any other folder it is 405.
 *   The body is stored as sent (no multipart/form-data parsing).
 * @module
 */

import { dirname, join } from "node:path";
import type { ResponseFields } from "../http/response_head.ts";
import { evaluateConditionals, type Validators } from "./conditional.ts";
import type { StaticContext, StaticRequest } from "./context.ts";
import { makeETag } from "./etag.ts";
import { type FileInfo, FsError } from "./fs_port.ts";
import { planFile } from "./get.ts";
import { allowFor, canUpload, type ResourceKind } from "./options.ts";
import { NO_BODY, type ResponsePlan } from "./plan.ts";
import { encodePath, type SafePath } from "./url_path.ts";
import { bodyOf, checkBody, guardWrite } from "./write_guard.ts";

/** What stat() said about a target: its facts, "missing", or the plan for a failure. */
type Found = FileInfo | "missing" | ResponsePlan;

async function find(
  ctx: StaticContext,
  req: StaticRequest,
  local: string,
  fresh = false,
): Promise<Found> {
  try {
    return await ctx.site.fs.stat(local, fresh);
  } catch (e) {
    if (e instanceof FsError && e.kind === "not-found") return "missing";
    return ctx.fsError(req, e, local);
  }
}

function isPlan(f: unknown): f is ResponsePlan {
  return typeof f === "object" && f !== null && "status" in f;
}

/** 405 with the methods the resource does allow (RFC 9110 §15.5.6). */
export function methodNotAllowed(
  ctx: StaticContext,
  req: StaticRequest,
  kind: ResourceKind,
  path: string,
): ResponsePlan {
  return ctx.error(req, 405, { fields: [["Allow", allowFor(ctx.policy, kind, path)]] });
}

/** Plan a PUT. */
export async function planPut(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
): Promise<ResponsePlan> {
  const refused = await guardWrite(ctx, req, t.path, "put") ?? checkBody(ctx, req);
  if (refused !== null) return refused;
  const local = ctx.local(t.path);
  const found = await find(ctx, req, local, true); // preconditions need the disk, not the cache
  if (isPlan(found)) return found;
  if (found !== "missing" && found.isDirectory) {
    return methodNotAllowed(ctx, req, await folderKind(ctx, local), t.path);
  }
  if (t.trailingSlash || t.path === "/" || (found !== "missing" && !found.isFile)) {
    return ctx.error(req, 409, { message: "Only files can be written" });
  }
  const parent = await find(ctx, req, dirname(local));
  if (isPlan(parent)) return parent;
  if (parent === "missing" || !parent.isDirectory) {
    return ctx.error(req, 409, { message: "The parent folder does not exist" });
  }
  const failed = precondition(ctx, req, found);
  if (failed !== null) return failed;
  const stored = await store(ctx, req, local, recheck(ctx, req, local));
  if (isPlan(stored)) return stored;
  return found === "missing" ? created(encodePath(t.path), stored) : updated(stored);
}

/** Plan a DELETE. */
export async function planDelete(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
): Promise<ResponsePlan> {
  const refused = await guardWrite(ctx, req, t.path, "delete");
  if (refused !== null) return refused;
  const local = ctx.local(t.path);
  const found = await find(ctx, req, local, true);
  if (isPlan(found)) return found;
  if (found === "missing" || (t.trailingSlash && !found.isDirectory)) return ctx.error(req, 404);
  if (found.isDirectory) return methodNotAllowed(ctx, req, await folderKind(ctx, local), t.path);
  if (!found.isFile) return ctx.error(req, 409, { message: "Only files can be deleted" });
  const failed = precondition(ctx, req, found);
  if (failed !== null) return failed;
  try {
    await ctx.site.fs.remove(local, recheck(ctx, req, local));
  } catch (e) {
    if (e instanceof PreconditionChanged) return e.plan;
    return ctx.fsError(req, e, local);
  }
  return { status: 204, fields: [], body: NO_BODY };
}

/** Plan a POST: like GET for a file, an upload for an UploadPaths folder, else 405. */
export async function planPost(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
): Promise<ResponsePlan> {
  const local = ctx.local(t.path);
  const found = await find(ctx, req, local);
  if (isPlan(found)) return found;
  if (found === "missing") return ctx.error(req, 404);
  if (found.isFile && !t.trailingSlash) {
    return await planFile(ctx, req, { urlPath: t.path, local, info: found, at: ctx.site });
  }
  if (!found.isDirectory) return ctx.error(req, found.isFile ? 404 : 403);
  if (!canUpload(ctx.policy, t.path)) return await postToFolder(ctx, req, t, local);
  const refused = await guardWrite(ctx, req, t.path, "upload") ?? checkBody(ctx, req);
  if (refused !== null) return refused;
  const name = ctx.uploadName(req.headers.get("content-type"));
  const stored = await store(ctx, req, join(local, name));
  if (isPlan(stored)) return stored;
  return created(encodePath((t.path === "/" ? "" : t.path) + "/" + name), stored);
}

/** "index" when a folder holds an index.html file, else "folder". */
export async function folderKind(ctx: StaticContext, local: string): Promise<"index" | "folder"> {
  try {
    return (await ctx.site.fs.stat(join(local, "index.html"))).isFile ? "index" : "folder";
  } catch {
    return "folder";
  }
}

/** POST to a folder that takes no uploads: its index page like GET, else 405. */
async function postToFolder(
  ctx: StaticContext,
  req: StaticRequest,
  t: SafePath,
  local: string,
): Promise<ResponsePlan> {
  const index = join(local, "index.html");
  const found = await find(ctx, req, index);
  if (isPlan(found)) return found;
  if (found === "missing" || !found.isFile || !t.trailingSlash) {
    return methodNotAllowed(
      ctx,
      req,
      found !== "missing" && found.isFile ? "index" : "folder",
      t.path,
    );
  }
  const urlPath = (t.path === "/" ? "" : t.path) + "/index.html";
  return await planFile(ctx, req, { urlPath, local: index, info: found, at: ctx.site });
}

/**
 * The preconditions checked again at commit time, under the folder lock the file system holds
 * for the rename or removal: another writer (another worker, another instance) may have changed
 * the file while this body was being received. With the lock, of two writers holding the same
 * validator exactly one commits and the other gets 412 (lost update, RFC 9110 §13.1).
 */
function recheck(ctx: StaticContext, req: StaticRequest, local: string): () => Promise<void> {
  return async () => {
    const now = await find(ctx, req, local, true);
    const late = isPlan(now) ? now : precondition(ctx, req, now);
    if (late !== null) throw new PreconditionChanged(late);
  };
}

function precondition(
  ctx: StaticContext,
  req: StaticRequest,
  found: FileInfo | "missing",
): ResponsePlan | null {
  const v: Validators = found === "missing"
    ? { etag: null, lastModifiedMs: null, exists: false }
    : { etag: makeETag(found), lastModifiedMs: found.mtimeMs, exists: true };
  const h = req.headers;
  const r = evaluateConditionals(req.method, {
    ifMatch: h.combined("if-match"),
    ifNoneMatch: h.combined("if-none-match"),
    ifUnmodifiedSince: h.get("if-unmodified-since"),
  }, v);
  if (r === "proceed") return null;
  return ctx.error(req, 412, v.etag === null ? {} : { fields: [["ETag", v.etag]] });
}

/**
 * Write the body atomically, then stat the result for its ETag.
 * Errors of the body itself (client gone, bad chunk, timeout) propagate to the connection,
 * which answers them; file-system errors become a plan (parent gone -> 409).
 */
async function store(
  ctx: StaticContext,
  req: StaticRequest,
  local: string,
  beforeCommit?: () => Promise<void>,
): Promise<FileInfo | null | ResponsePlan> {
  try {
    await ctx.site.fs.writeAtomic(local, bodyOf(req), beforeCommit);
  } catch (e) {
    if (e instanceof PreconditionChanged) return e.plan;
    if (!(e instanceof FsError)) throw e;
    if (e.kind === "not-found") {
      return ctx.error(req, 409, { message: "The parent folder does not exist" });
    }
    return ctx.fsError(req, e, local);
  }
  try {
    return await ctx.site.fs.stat(local);
  } catch {
    return null; // stored, but already changed again: answer without validators
  }
}

/** A precondition that held when the request arrived no longer holds at commit time. */
class PreconditionChanged extends Error {
  override name = "PreconditionChanged";
  constructor(readonly plan: ResponsePlan) {
    super("The precondition no longer holds");
  }
}

function validatorFields(info: FileInfo | null): ResponseFields {
  return info === null ? [] : [["ETag", makeETag(info)]];
}

function created(location: string, info: FileInfo | null): ResponsePlan {
  return {
    status: 201,
    fields: [["Location", location], ...validatorFields(info), ["Content-Length", "0"]],
    body: NO_BODY,
  };
}

function updated(info: FileInfo | null): ResponsePlan {
  return { status: 204, fields: validatorFields(info), body: NO_BODY };
}
