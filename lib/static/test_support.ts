/**
 * Test helpers for the responder: requests from plain objects, a Responder over a
 * MemoryFileSystem with every option settable, and readers for planned bodies.
 * @module
 */

import type { Authenticator, AuthResult } from "../auth/basic_auth.ts";
import { FieldList } from "../http/headers.ts";
import { buildErrorPages } from "../pages/error_pages.ts";
import type { ResponderDeps, StaticOptions, StaticRequest } from "./context.ts";
import { DigestCache } from "./digest.ts";
import { MemoryFileSystem } from "./memory_fs.ts";
import type { PlanBody, ResponsePlan } from "./plan.ts";
import { Responder } from "./responder.ts";

/** The document root of test sites. */
export const ROOT = "/srv/www";
/** The error/ folder of test sites. */
export const ASSETS = "/srv/error";

/** Options with everything off, as the bundled http.conf has them (compression aside). */
export const BASE_OPTIONS: StaticOptions = {
  documentRoot: ROOT,
  errorAssets: ASSETS,
  directoryListing: false,
  maxRanges: 100,
  cacheControl: [],
  contentDigest: false,
  contentDigestMaxBytes: 16 * 1024 * 1024,
  writeAccess: false,
  writePaths: ["/"],
  uploadPaths: [],
  compression: false,
  compressionMinSize: 1024,
  compressionTypes: ["text/html", "text/css", "text/plain", "application/json"],
};

/** A request; a string body is sent as one chunk. */
export function request(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body: string | Uint8Array | AsyncIterable<Uint8Array> | null = null,
  streamable = true,
): StaticRequest {
  const h = new FieldList();
  for (const [k, v] of Object.entries(headers)) h.add(k.toLowerCase(), v);
  const b = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return {
    method,
    target,
    headers: h,
    body: b instanceof Uint8Array ? chunks([b]) : b,
    streamable,
  };
}

/** A body that yields these chunks. */
export async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

/** Credentials checker that accepts alice:secret and records the fields it saw. */
export class FakeAuth implements Authenticator {
  readonly seen: Array<string | undefined> = [];
  /** The clientIp of each check. */
  readonly clients: Array<string | undefined> = [];
  result: AuthResult | null = null;
  check(authorization: string | undefined, clientIp?: string): Promise<AuthResult> {
    this.seen.push(authorization);
    this.clients.push(clientIp);
    if (this.result !== null) return Promise.resolve(this.result);
    if (authorization === undefined) return Promise.resolve({ kind: "missing" });
    return Promise.resolve(
      authorization === "Basic " + btoa("alice:secret")
        ? { kind: "ok", user: "alice" }
        : { kind: "invalid", reason: "wrong password" },
    );
  }
}

/** Basic credentials of the FakeAuth user. */
export const ALICE = { authorization: "Basic " + btoa("alice:secret") };

/** A test site. */
export interface TestSite {
  readonly fs: MemoryFileSystem;
  readonly responder: Responder;
  readonly auth: FakeAuth;
  readonly digests: DigestCache;
}

/** A Responder over a MemoryFileSystem holding ROOT and ASSETS. */
export function site(
  options: Partial<StaticOptions> = {},
  deps: Partial<ResponderDeps> = {},
): TestSite {
  const fs = new MemoryFileSystem().dir(ROOT).dir(ASSETS);
  const auth = new FakeAuth();
  const digests = new DigestCache(8);
  const responder = new Responder({
    fs,
    assetFs: fs,
    pages: buildErrorPages(new Map([[404, "<p>{{status}} {{reason}}</p>"]])),
    options: { ...BASE_OPTIONS, ...options },
    auth,
    digests,
    uploadName: () => "upload-1.bin",
    ...deps,
  });
  return { fs, responder, auth, digests };
}

/** The value of a planned header field (first match, case-insensitive), or undefined. */
export function field(plan: ResponsePlan, name: string): string | undefined {
  return plan.fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** The field names of a plan, in order. */
export function fieldNames(plan: ResponsePlan): string[] {
  return plan.fields.map(([n]) => n);
}

/** The bytes a planned body would send, reading files from the memory file system. */
export async function bodyBytes(fs: MemoryFileSystem, body: PlanBody): Promise<Uint8Array> {
  switch (body.kind) {
    case "none":
      return new Uint8Array(0);
    case "bytes":
      return body.data;
    case "file":
      return fs.contents(body.path)!.slice(body.start, body.start + body.length);
    case "multipart":
      throw new TypeError("Cannot read a multipart body in tests; check its plan");
    case "stream":
      return new Uint8Array(await new Response(body.stream).arrayBuffer());
  }
}

/** The planned body as text. */
export async function bodyText(fs: MemoryFileSystem, body: PlanBody): Promise<string> {
  return new TextDecoder().decode(await bodyBytes(fs, body));
}
