/**
 * What the responder decides: a status, header fields and where the body comes from. The
 * server layer turns a plan into bytes; nothing here touches a socket.
 * @module
 */

import type { ResponseFields } from "../http/response_head.ts";
import type { MultipartPlan } from "./multipart.ts";

/** The file version a plan was made for; the writer refuses to send another one. */
export interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
}

/** Where the body bytes come from. */
export type PlanBody =
  | { readonly kind: "none" }
  | { readonly kind: "bytes"; readonly data: Uint8Array }
  | {
    readonly kind: "file";
    readonly path: string;
    readonly start: number;
    readonly length: number;
    readonly version?: FileVersion;
  }
  | {
    readonly kind: "multipart";
    readonly path: string;
    readonly plan: MultipartPlan;
    readonly version?: FileVersion;
  }
  /** Sent with chunked transfer coding; the length is not known in advance. */
  | { readonly kind: "stream"; readonly stream: ReadableStream<Uint8Array> };

/** A planned response. Date, Server and Connection are added when it is written. */
export interface ResponsePlan {
  readonly status: number;
  /** Header fields, Content-Length included whenever the length is known. */
  readonly fields: ResponseFields;
  readonly body: PlanBody;
  /** Close the connection after this response whatever the client asked. */
  readonly close?: boolean;
  /** A message for error.log, when this response is worth one. */
  readonly note?: { readonly level: "info" | "warn" | "error" | "crit"; readonly message: string };
  /**
   * Fields that belong to this one response only (e.g. Set-Cookie), sent after `fields`.
   * Keeping them apart lets a reused plan's `fields` be serialized once.
   */
  readonly extraFields?: ResponseFields;
  /**
   * Field lines of this one response already encoded, each ending in CRLF, sent after
   * `extraFields` (the session cookie, written as bytes once instead of as a string to check and
   * encode). Whoever makes them guarantees they are valid field lines.
   */
  readonly extraLines?: Uint8Array;
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
