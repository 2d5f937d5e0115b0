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
   * The whole head: status line, Server, Date, the plan's fields, the extra fields, CRLF;
   * followed by `body` when one is given, so a small response is one buffer and one write.
   * @throws TypeError when a field could split the message (see headText)
   */
  build(
    status: number,
    fields: ResponseFields,
    extra: ResponseFields,
    body: Uint8Array | null = null,
  ): Uint8Array {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const more = extra.length === 0 ? "" : fieldsText(extra);
    // ASCII text (the usual case) is encoded straight into the output buffer.
    const moreBytes = NON_ASCII.test(more) ? encoder.encode(more) : null;
    const moreLength = moreBytes?.length ?? more.length;
    const headLength = prefix.length + own.length + moreLength + 2;
    const out = new Uint8Array(headLength + (body?.length ?? 0));
    out.set(prefix);
    out.set(own, prefix.length);
    if (moreBytes !== null) out.set(moreBytes, prefix.length + own.length);
    else if (more !== "") encoder.encodeInto(more, out.subarray(prefix.length + own.length));
    out[headLength - 2] = 0x0d;
    out[headLength - 1] = 0x0a;
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
    out: Uint8Array,
    end: number,
  ): number {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const more = extra.length === 0 ? "" : fieldsText(extra);
    const moreBytes = NON_ASCII.test(more) ? encoder.encode(more) : null;
    const length = prefix.length + own.length + (moreBytes?.length ?? more.length) + 2;
    if (length > end) return -1;
    const at = end - length;
    out.set(prefix, at);
    out.set(own, at + prefix.length);
    const m = at + prefix.length + own.length;
    if (moreBytes !== null) out.set(moreBytes, m);
    else if (more !== "") encoder.encodeInto(more, out.subarray(m, end - 2));
    out[end - 2] = 0x0d;
    out[end - 1] = 0x0a;
    return at;
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

  #fieldBytes(fields: ResponseFields): Uint8Array {
    let b = this.#fields.get(fields);
    if (b === undefined) {
      b = encoder.encode(fieldsText(fields));
      this.#fields.set(fields, b);
    }
    return b;
  }
}

/** Fields as "Name: value\r\n" lines, validated by headText. */
function fieldsText(fields: ResponseFields): string {
  const text = headText(200, fields);
  return text.slice(text.indexOf("\r\n") + 2, -2);
}
