/**
 * Raw HTTP/1.1 for black-box tests: send exact request bytes, and split the bytes the server
 * sent back into responses (status, headers, body by Content-Length or chunked), so tests
 * can compare bodies byte for byte with files.
 * @module
 */

import { rawExchange, statusOf } from "./server.ts";

/** One parsed response. */
export interface RawResponse {
  readonly status: number;
  /** Header fields in order, names lower-cased. */
  readonly fields: Array<[string, string]>;
  readonly body: Uint8Array;
}

/** The first value of a header field (name case-insensitive). */
export function headerOf(r: RawResponse, name: string): string | undefined {
  return r.fields.find(([n]) => n === name.toLowerCase())?.[1];
}

/** Text as bytes, one byte per character (latin1). */
export function latin1Bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Bytes as UTF-8 text. */
export function utf8(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/**
 * Split a byte stream into responses. `headOnly` marks responses to HEAD requests (their
 * Content-Length describes a body that is not sent).
 */
export function parseResponses(bytes: Uint8Array, headOnly: boolean[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = indexOf(bytes, "\r\n\r\n", at);
    if (end < 0) throw new Error(`Incomplete response head at byte ${at}`);
    const lines = new TextDecoder("latin1").decode(bytes.subarray(at, end)).split("\r\n");
    const status = statusOf(lines[0]!);
    const fields = lines.slice(1).map((l): [string, string] => {
      const c = l.indexOf(":");
      return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
    });
    at = end + 4;
    const r = { status, fields, body: new Uint8Array(0) };
    const bodyless = headOnly[out.length] === true || status === 204 || status === 304;
    if (!bodyless) at = readBody(bytes, at, r);
    out.push(r);
  }
  return out;
}

function readBody(bytes: Uint8Array, at: number, r: RawResponse & { body: Uint8Array }): number {
  if (headerOf(r, "transfer-encoding") === "chunked") {
    const parts: Uint8Array[] = [];
    for (;;) {
      const eol = indexOf(bytes, "\r\n", at);
      const size = parseInt(new TextDecoder().decode(bytes.subarray(at, eol)), 16);
      at = eol + 2;
      if (size === 0) return indexOf(bytes, "\r\n", at) + 2; // no trailers are sent
      parts.push(bytes.subarray(at, at + size));
      at += size + 2;
      r.body = concat(parts);
    }
  }
  const length = headerOf(r, "content-length");
  const n = length === undefined ? bytes.length - at : Number(length);
  r.body = bytes.slice(at, at + n);
  return at + n;
}

function indexOf(bytes: Uint8Array, s: string, from: number): number {
  outer: for (let i = from; i + s.length <= bytes.length; i++) {
    for (let k = 0; k < s.length; k++) if (bytes[i + k] !== s.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Options for one raw request. */
export interface RawRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/**
 * Send one request with `Connection: close` over a fresh connection and parse the answer.
 * A body gets a Content-Length unless the headers say how it is framed.
 */
export async function send(port: number, target: string, o: RawRequest = {}): Promise<RawResponse> {
  const method = o.method ?? "GET";
  const body = typeof o.body === "string" ? new TextEncoder().encode(o.body) : o.body;
  const h: Record<string, string> = { Host: "test", Connection: "close", ...o.headers };
  const framed = Object.keys(h).some((k) => /^(content-length|transfer-encoding)$/i.test(k));
  if (body !== undefined && !framed) h["Content-Length"] = String(body.length);
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) head += `${k}: ${v}\r\n`;
  const bytes = concat([new TextEncoder().encode(head + "\r\n"), body ?? new Uint8Array(0)]);
  const raw = latin1Bytes(await rawExchange(port, bytes, { idleMs: 5000 }));
  const all = parseResponses(raw, [method === "HEAD"]);
  if (all.length !== 1) throw new Error(`Expected one response, got ${all.length}`);
  return all[0]!;
}
