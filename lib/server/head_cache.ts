/**
 * Response heads with as little per-request work as possible: the status line, Server and Date
 * are prepared once per status per second, and a plan's own header fields are serialized once
 * per fields array (a memoized plan reuses its array, so its fields are encoded only once).
 * Only per-request fields (Connection, Set-Cookie) are encoded per response.
 * @module
 */

import { headText, type ResponseFields } from "../http/response_head.ts";

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Builds head bytes for one worker. */
export class HeadCache {
  readonly #server: string;
  readonly #date: () => string;
  #dateValue = "";
  readonly #prefixes = new Map<number, Uint8Array>();
  readonly #fields = new WeakMap<ResponseFields, Uint8Array>();

  /**
   * @param serverHeader the Server field value
   * @param date the current Date field value (cached per second by the caller)
   */
  constructor(serverHeader: string, date: () => string) {
    this.#server = serverHeader;
    this.#date = date;
  }

  /**
   * The whole head: status line, Server, Date, the plan's fields, the extra fields, the
   * pre-encoded `lines` (each ending CRLF, e.g. a Set-Cookie), CRLF; followed by `body` when one
   * is given, so a small response is one buffer and one write.
   * @throws TypeError when a field could split the message (see headText)
   */
  build(
    status: number,
    fields: ResponseFields,
    extra: ResponseFields,
    body: Uint8Array | null = null,
    lines: Uint8Array | null = null,
  ): Uint8Array {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const more = this.#extraBytes(extra);
    const headLength = prefix.length + own.length + more.length + (lines?.length ?? 0) + 2;
    const out = new Uint8Array(headLength + (body?.length ?? 0));
    layout(out, headLength, prefix, own, more, lines);
    if (body !== null) out.set(body, headLength);
    return out;
  }

  /**
   * Write the head into `out` so that it ends exactly at `end` (where the body starts).
   * @returns the offset where the head starts, or -1 when it does not fit before `end`
   */
  writeBefore(
    status: number,
    fields: ResponseFields,
    extra: ResponseFields,
    lines: Uint8Array | null,
    out: Uint8Array,
    end: number,
  ): number {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const more = this.#extraBytes(extra);
    const length = prefix.length + own.length + more.length + (lines?.length ?? 0) + 2;
    if (length > end) return -1;
    return layout(out, end, prefix, own, more, lines);
  }

  #prefix(status: number): Uint8Array {
    const date = this.#date();
    if (date !== this.#dateValue) {
      this.#dateValue = date;
      this.#prefixes.clear();
    }
    let p = this.#prefixes.get(status);
    if (p === undefined) {
      const text = headText(status, [["Server", this.#server], ["Date", date]]);
      p = encoder.encode(text.slice(0, -2)); // without the final empty line
      this.#prefixes.set(status, p);
    }
    return p;
  }

  /**
   * Per-response fields: a frozen array (reused, e.g. one Set-Cookie per connection) is encoded
   * once; others are returned as ASCII text to encode in place, or as bytes when not ASCII.
   */
  #extraBytes(extra: ResponseFields): Uint8Array | string {
    if (extra.length === 0) return "";
    if (Object.isFrozen(extra)) return this.#fieldBytes(extra);
    const text = fieldsText(extra);
    return NON_ASCII.test(text) ? encoder.encode(text) : text;
  }

  #fieldBytes(fields: ResponseFields): Uint8Array {
    let b = this.#fields.get(fields);
    if (b === undefined) {
      b = encoder.encode(fieldsText(fields));
      this.#fields.set(fields, b);
    }
    return b;
  }
}

/**
 * Lay a head out in `out` so that it ends at `end`: prefix, own fields, extra fields, lines,
 * CRLF. The caller has checked it fits; returns where it starts.
 */
function layout(
  out: Uint8Array,
  end: number,
  prefix: Uint8Array,
  own: Uint8Array,
  more: Uint8Array | string,
  lines: Uint8Array | null,
): number {
  const raw = lines?.length ?? 0;
  const at = end - (prefix.length + own.length + more.length + raw + 2);
  out.set(prefix, at);
  out.set(own, at + prefix.length);
  put(out, more, at + prefix.length + own.length);
  if (lines !== null) out.set(lines, end - 2 - raw);
  out[end - 2] = 0x0d;
  out[end - 1] = 0x0a;
  return at;
}

/** Copy bytes, or encode ASCII text, into `out` at `at`. */
function put(out: Uint8Array, part: Uint8Array | string, at: number): void {
  if (typeof part !== "string") out.set(part, at);
  else if (part !== "") encoder.encodeInto(part, out.subarray(at, at + part.length));
}

/** Fields as "Name: value\r\n" lines, validated by headText. */
function fieldsText(fields: ResponseFields): string {
  const text = headText(200, fields);
  return text.slice(text.indexOf("\r\n") + 2, -2);
}
