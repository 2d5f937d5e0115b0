/**
 * What the responder decides: a status, header fields and where the body comes from. The
 * server layer turns a plan into bytes; nothing here touches a socket, and nothing here is
 * HTTP/1.1 framing (Connection, Transfer-Encoding and Date are the writer's).
 * @module
 */

import type { FieldLines, ResponseFields } from "../http/response_head.ts";
import type { FileSystem, FileVersion } from "./fs_port.ts";
import type { MultipartPlan } from "./multipart.ts";

export type { FileVersion } from "./fs_port.ts";

/** Where the body bytes come from. */
export type PlanBody =
  | { readonly kind: "none" }
  | { readonly kind: "bytes"; readonly data: Uint8Array }
  | {
    readonly kind: "file";
    /** The file system that opens `path` (it keeps the path inside its root). */
    readonly fs: FileSystem;
    readonly path: string;
    readonly start: number;
    readonly length: number;
    /** The version planned for; another one is refused when the file is opened. */
    readonly version?: FileVersion;
  }
  | {
    readonly kind: "multipart";
    readonly fs: FileSystem;
    readonly path: string;
    readonly plan: MultipartPlan;
    readonly version?: FileVersion;
  }
  /** Bytes whose length is not known in advance (an HTTP/1.1 writer sends them chunked). */
  | { readonly kind: "stream"; readonly stream: ReadableStream<Uint8Array> };

/** A planned response. Date, Server and Connection are added when it is written. */
export interface ResponsePlan {
  readonly status: number;
  /**
   * Header fields, Content-Length included whenever the length is known. A reused plan (the
   * memo's) keeps its array, so its fields are encoded once.
   */
  readonly fields: ResponseFields;
  readonly body: PlanBody;
  /** Close the connection after this response whatever the client asked. */
  readonly close?: boolean;
  /** A message for error.log, when this response is worth one. */
  readonly note?: { readonly level: "info" | "warn" | "error" | "crit"; readonly message: string };
  /** Field lines of this one response (the session cookie), sent after `fields`. */
  readonly extra?: FieldLines;
}

/** The empty body. */
export const NO_BODY: PlanBody = Object.freeze({ kind: "none" });

/** Release what a plan's body holds (a stream keeps its file open until read or cancelled). */
export function discardBody(plan: ResponsePlan): void {
  if (plan.body.kind === "stream") void plan.body.stream.cancel().catch(() => {});
}

/** Replace a plan's body with none, keeping every header (HEAD, RFC 9110 §9.3.2). */
export function withoutBody(plan: ResponsePlan): ResponsePlan {
  discardBody(plan);
  return { ...plan, body: NO_BODY };
}
