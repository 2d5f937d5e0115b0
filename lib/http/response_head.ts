/**
 * Serialize a response status line and header section (RFC 9112 §4, §5), and the chunk framing
 * for chunked responses (RFC 9112 §7.1).
 * @module
 */

import { reasonPhrase } from "./status.ts";

/** Header fields of a response as [name, value] pairs in send order. */
export type ResponseFields = Array<readonly [string, string]>;

const encoder = new TextEncoder();

/**
 * The status line and header section as one string ending with the empty line.
 * @throws TypeError when a name or value could split the message (CR, LF or NUL)
 */
export function headText(status: number, fields: ResponseFields): string {
  let s = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  for (const [name, value] of fields) {
    if (/[\r\n\0]/.test(value) || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new TypeError(`Cannot send header field "${name}": invalid characters`);
    }
    s += `${name}: ${value}\r\n`;
  }
  return s + "\r\n";
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
