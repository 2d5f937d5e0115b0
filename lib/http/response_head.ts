/**
 * Serialize a response status line and header section (RFC 9112 §4, §5), and the chunk framing
 * for chunked responses (RFC 9112 §7.1).
 * @module
 */

import { reasonPhrase } from "./status.ts";

/** Header fields of a response as [name, value] pairs in send order. */
export type ResponseFields = Array<readonly [string, string]>;

declare const fieldLinesBrand: unique symbol;

/**
 * Header field lines already encoded, each "Name: value" CRLF, and checked: no name or value
 * can split the message. The one form in which fields are added to a planned response for that
 * response only (a session cookie, Connection, Retry-After). Made by `fieldLines()`, or by
 * `trustedFieldLines()` from parts checked once (the session cookie's name, a base64url value).
 */
export type FieldLines = Uint8Array & { readonly [fieldLinesBrand]: true };

const encoder = new TextEncoder();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SPLITS = /[\r\n\0]/;

/**
 * Check one field for characters that could split the message.
 * @throws TypeError when the name is not a token or the value holds CR, LF or NUL
 */
export function checkField(name: string, value: string): void {
  if (SPLITS.test(value) || !TOKEN.test(name)) {
    throw new TypeError(`Cannot send header field "${name}": invalid characters`);
  }
}

/** Fields as "Name: value\r\n" lines, checked. */
export function fieldsText(fields: ResponseFields): string {
  let s = "";
  for (const [name, value] of fields) {
    checkField(name, value);
    s += `${name}: ${value}\r\n`;
  }
  return s;
}

/**
 * Encode and check field lines once, to be added to responses as they are.
 * @throws TypeError when a field could split the message
 */
export function fieldLines(fields: ResponseFields): FieldLines {
  return encoder.encode(fieldsText(fields)) as FieldLines;
}

/**
 * Bytes the caller built from parts it checked once (e.g. a Set-Cookie line from a validated
 * cookie name and a base64url value), as field lines. Each line must end in CRLF.
 */
export function trustedFieldLines(bytes: Uint8Array): FieldLines {
  return bytes as FieldLines;
}

/** Two sets of field lines, `a` first. */
export function joinFieldLines(a: FieldLines, b: FieldLines): FieldLines {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out as FieldLines;
}

/** The status line, "HTTP/1.1 <code> <reason>" CRLF. */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
}

/**
 * The status line and header section as one string ending with the empty line.
 * @throws TypeError when a name or value could split the message (CR, LF or NUL)
 */
export function headText(status: number, fields: ResponseFields): string {
  return statusLine(status) + fieldsText(fields) + "\r\n";
}

/** The status line and header section as bytes. */
export function serializeHead(status: number, fields: ResponseFields): Uint8Array {
  return encoder.encode(headText(status, fields));
}

/** Frame one chunk of a chunked response body: size CRLF data CRLF. */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const head = encoder.encode(data.length.toString(16) + "\r\n");
  const out = new Uint8Array(head.length + data.length + 2);
  out.set(head, 0);
  out.set(data, head.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

/** The last chunk and an empty trailer section. */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");

/** The interim response sent before reading a body the client is waiting to send. */
export const CONTINUE_100: Uint8Array = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
