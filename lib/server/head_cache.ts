/**
 * Response heads with as little per-request work as possible: the status line, Server and Date
 * are prepared once per status per second, and a plan's own header fields are encoded once per
 * fields array (a memoized plan reuses its array). Per-response fields arrive already encoded
 * (FieldLines), so a head is laid out by copying bytes.
 * @module
 */

import { type FieldLines, fieldsText, type ResponseFields } from "../http/response_head.ts";
import { statusLine } from "../http/response_head.ts";

const encoder = new TextEncoder();

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
   * The whole head: status line, Server, Date, the plan's fields, its per-response field lines
   * (`extra`, e.g. a Set-Cookie), the framing fields (Connection, Transfer-Encoding), CRLF;
   * followed by `body` when one is given, so a small response is one buffer and one write.
   * @throws TypeError when one of `fields` could split the message
   */
  build(
    status: number,
    fields: ResponseFields,
    extra: FieldLines | null,
    framing: FieldLines | null,
    body: Uint8Array | null = null,
  ): Uint8Array {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const headLength = prefix.length + own.length + (extra?.length ?? 0) +
      (framing?.length ?? 0) + 2;
    const out = new Uint8Array(headLength + (body?.length ?? 0));
    layout(out, headLength, prefix, own, extra, framing);
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
    extra: FieldLines | null,
    framing: FieldLines | null,
    out: Uint8Array,
    end: number,
  ): number {
    const prefix = this.#prefix(status);
    const own = this.#fieldBytes(fields);
    const length = prefix.length + own.length + (extra?.length ?? 0) + (framing?.length ?? 0) +
      2;
    if (length > end) return -1;
    return layout(out, end, prefix, own, extra, framing);
  }

  #prefix(status: number): Uint8Array {
    const date = this.#date();
    if (date !== this.#dateValue) {
      this.#dateValue = date;
      this.#prefixes.clear();
    }
    let p = this.#prefixes.get(status);
    if (p === undefined) {
      p = encoder.encode(
        statusLine(status) + fieldsText([["Server", this.#server], ["Date", date]]),
      );
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

/**
 * Lay a head out in `out` so that it ends at `end`: prefix, own fields, extra lines, framing
 * lines, CRLF. The caller has checked it fits; returns where it starts.
 */
function layout(
  out: Uint8Array,
  end: number,
  prefix: Uint8Array,
  own: Uint8Array,
  extra: Uint8Array | null,
  framing: Uint8Array | null,
): number {
  const e = extra?.length ?? 0;
  const f = framing?.length ?? 0;
  const at = end - (prefix.length + own.length + e + f + 2);
  out.set(prefix, at);
  out.set(own, at + prefix.length);
  if (extra !== null) out.set(extra, end - 2 - f - e);
  if (framing !== null) out.set(framing, end - 2 - f);
  out[end - 2] = 0x0d;
  out[end - 1] = 0x0a;
  return at;
}
