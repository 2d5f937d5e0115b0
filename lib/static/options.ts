/**
 * Which methods a resource allows (the `Allow` field of OPTIONS and 405 responses, RFC 9110
 * §10.2.1), from WriteAccess, WritePaths and UploadPaths. Pure.
 *
 * | resource | always                    | if writable (WriteAccess On, under WritePaths) | if under UploadPaths |
 * | -------- | ------------------------- | ---------------------------------------------- | -------------------- |
 * | file     | GET, HEAD, POST, OPTIONS  | PUT, DELETE                                    |                      |
 * | folder   | GET, HEAD, OPTIONS        |                                                | POST                 |
 * | index    | GET, HEAD, POST, OPTIONS  |                                                |                      |
 * | missing  | OPTIONS                   | PUT                                            |                      |
 * | `*`      | GET, HEAD, POST, OPTIONS  | PUT, DELETE (when WriteAccess is On)           |                      |
 *
 * "index" is a folder holding index.html: POST to it answers like GET of the page.
 * @module
 */

import { NO_BODY, type ResponsePlan } from "./plan.ts";
import { resolveTarget } from "./url_path.ts";

/** Where writes are allowed, with prefixes already normalised. */
export interface WritePolicy {
  readonly writeAccess: boolean;
  /** Decoded URL path prefixes without a trailing "/" ("" = everything). */
  readonly writePaths: readonly string[];
  readonly uploadPaths: readonly string[];
}

/** What a target names. */
export type ResourceKind = "file" | "folder" | "index" | "missing";

/**
 * Normalise config prefixes: decoded like request targets, trailing "/" dropped, so "/up" and
 * "/up/" both mean the folder /up and everything below it (never "/upload").
 */
export function compileWritePolicy(o: {
  readonly writeAccess: boolean;
  readonly writePaths: readonly string[];
  readonly uploadPaths: readonly string[];
}): WritePolicy {
  return {
    writeAccess: o.writeAccess,
    writePaths: normalisePrefixes(o.writePaths),
    uploadPaths: normalisePrefixes(o.uploadPaths),
  };
}

function normalisePrefixes(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of list) {
    const t = resolveTarget(p);
    if (t.kind === "path") out.push(t.path === "/" ? "" : t.path);
  }
  return out;
}

/** Whether a decoded URL path is a prefix's folder or below it (segment-wise, not by string). */
export function underPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => p === "" || path === p || path.startsWith(p + "/"));
}

/** Whether PUT/DELETE may touch this path (credentials are checked separately). */
export function canWrite(policy: WritePolicy, path: string): boolean {
  return policy.writeAccess && underPrefix(path, policy.writePaths);
}

/** Whether POST to this folder stores an upload. */
export function canUpload(policy: WritePolicy, path: string): boolean {
  return underPrefix(path, policy.uploadPaths);
}

/**
 * The Allow value for a resource.
 * @example allowFor(policy, "folder", "/uploads") // "GET, HEAD, OPTIONS, POST"
 */
export function allowFor(policy: WritePolicy, kind: ResourceKind, path: string): string {
  const folder = kind === "folder" || kind === "index";
  const methods = kind === "file" || kind === "index"
    ? ["GET", "HEAD", "POST", "OPTIONS"]
    : kind === "folder"
    ? ["GET", "HEAD", "OPTIONS"]
    : ["OPTIONS"];
  if (kind === "folder" && canUpload(policy, path)) methods.push("POST");
  if (!folder && canWrite(policy, path)) methods.push("PUT");
  if (kind === "file" && canWrite(policy, path)) methods.push("DELETE");
  return methods.join(", ");
}

/** The Allow value for `OPTIONS *`: every method the server supports somewhere. */
export function serverAllow(policy: WritePolicy): string {
  return policy.writeAccess ? "GET, HEAD, POST, OPTIONS, PUT, DELETE" : "GET, HEAD, POST, OPTIONS";
}

/** 204 answer to OPTIONS (RFC 9110 §9.3.7); no body, so Content-Length is not sent. */
export function optionsPlan(allow: string): ResponsePlan {
  return { status: 204, fields: [["Allow", allow]], body: NO_BODY };
}
