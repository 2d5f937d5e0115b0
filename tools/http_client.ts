/**
 * A small HTTP/1.1 client for the command-line tools (conformance.ts, stress.ts): exact request
 * bytes out, the response as sent back in (status line, fields in order and case as sent, body
 * de-chunked), over TCP or TLS, on a connection that can be kept for the next request. A URL
 * client such as fetch() would hide what these tools look at: reason phrases, field order and
 * case, framing, a body longer or shorter than its Content-Length.
 * @module
 */

/** A response as received. */
export interface Response {
  /** "HTTP/1.1 200 OK" */
  readonly statusLine: string;
  readonly status: number;
  /** Fields in order, names as sent. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  /** The body ended with the connection (no Content-Length, not chunked). */
  readonly closeDelimited: boolean;
}

/** What parseResponse() made of the bytes so far. */
export type Parsed =
  | { readonly kind: "need-more" }
  | { readonly kind: "done"; readonly response: Response; readonly consumed: number }
  | { readonly kind: "error"; readonly reason: string };

/** Largest response head accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;
const NEED_MORE: Parsed = { kind: "need-more" };
const latin1 = new TextDecoder("latin1");

/** The first value of a field, by case-insensitive name. */
export function field(r: Pick<Response, "fields">, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.fields.find(([k]) => k.toLowerCase() === n)?.[1];
}

/**
 * Parse one response from `buf[0, end)`. Pure: call it again with more bytes on need-more.
 * @param o `head`: the request was HEAD (no body whatever the fields say); `eof`: the server
 *   closed the connection after these bytes
 */
export function parseResponse(
  buf: Uint8Array,
  end: number,
  o: { readonly head: boolean; readonly eof: boolean },
): Parsed {
  const headEnd = indexOfCrlfCrlf(buf, end);
  if (headEnd < 0) {
    if (end > MAX_HEAD_BYTES) return { kind: "error", reason: "a response head over 64 KiB" };
    return o.eof
      ? { kind: "error", reason: "the connection closed before a whole head" }
      : NEED_MORE;
  }
  const lines = latin1.decode(buf.subarray(0, headEnd)).split("\r\n");
  const statusLine = lines[0]!;
  const m = /^HTTP\/1\.[01] ([1-9][0-9]{2}) [^\r\n]*$/.exec(statusLine);
  if (m === null) return { kind: "error", reason: `a malformed status line "${statusLine}"` };
  const status = Number(m[1]);
  const fields: Array<[string, string]> = [];
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(":");
    if (colon <= 0) return { kind: "error", reason: `a malformed field line "${l}"` };
    fields.push([l.slice(0, colon), l.slice(colon + 1).trim()]);
  }
  const start = headEnd + 4;
  const done = (body: Uint8Array, consumed: number, closeDelimited = false): Parsed => ({
    kind: "done",
    response: { statusLine, status, fields, body, closeDelimited },
    consumed,
  });
  if (o.head || status < 200 || status === 204 || status === 304) {
    return done(new Uint8Array(0), start);
  }
  const te = field({ fields }, "transfer-encoding");
  if (te !== undefined) {
    if (te.toLowerCase() !== "chunked") return { kind: "error", reason: `Transfer-Encoding ${te}` };
    return dechunk(buf, start, end, o.eof, (body, consumed) => done(body, consumed));
  }
  const cl = field({ fields }, "content-length");
  if (cl !== undefined) {
    if (!/^[0-9]{1,15}$/.test(cl)) return { kind: "error", reason: `Content-Length "${cl}"` };
    const n = Number(cl);
    if (end - start >= n) return done(buf.slice(start, start + n), start + n);
    return o.eof
      ? { kind: "error", reason: `the body ended after ${end - start} of ${n} bytes` }
      : NEED_MORE;
  }
  return o.eof ? done(buf.slice(start, end), end, true) : NEED_MORE;
}

function dechunk(
  buf: Uint8Array,
  at: number,
  end: number,
  eof: boolean,
  done: (body: Uint8Array, consumed: number) => Parsed,
): Parsed {
  const parts: Uint8Array[] = [];
  for (;;) {
    const eol = indexOfCrlf(buf, at, end);
    if (eol < 0) return eof ? { kind: "error", reason: "a truncated chunked body" } : NEED_MORE;
    const sizeText = latin1.decode(buf.subarray(at, eol)).split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) {
      return { kind: "error", reason: `a bad chunk size "${sizeText}"` };
    }
    const size = parseInt(sizeText, 16);
    at = eol + 2;
    if (size === 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const t = indexOfCrlf(buf, at, end);
        if (t < 0) return eof ? { kind: "error", reason: "a truncated trailer" } : NEED_MORE;
        const empty = t === at;
        at = t + 2;
        if (empty) return done(concat(parts), at);
      }
    }
    if (end - at < size + 2) {
      return eof ? { kind: "error", reason: "a truncated chunk" } : NEED_MORE;
    }
    if (buf[at + size] !== 0x0d || buf[at + size + 1] !== 0x0a) {
      return { kind: "error", reason: "a chunk not followed by CRLF" };
    }
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

function indexOfCrlfCrlf(buf: Uint8Array, end: number): number {
  for (let i = 0; i + 3 < end; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) {
      return i;
    }
  }
  return -1;
}

function indexOfCrlf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (buf[i] === 0x0d && buf[i + 1] === 0x0a) return i;
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

/** A request: method, target as sent (not normalized), fields, body. */
export interface Request {
  readonly method: string;
  readonly target: string;
  /** Fields after Host (which is always sent first, unless `noHost`). */
  readonly fields?: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
  /** Leave out the Host field (to check that the server refuses that). */
  readonly noHost?: boolean;
}

/** The bytes of a request to `host`; a body gets its Content-Length. */
export function requestBytes(r: Request, host: string): Uint8Array {
  let head = `${r.method} ${r.target} HTTP/1.1\r\n${r.noHost ? "" : `Host: ${host}\r\n`}`;
  for (const [k, v] of r.fields ?? []) head += `${k}: ${v}\r\n`;
  if (r.body !== undefined) head += `Content-Length: ${r.body.length}\r\n`;
  const h = Uint8Array.from(head + "\r\n", (c) => c.charCodeAt(0) & 0xff);
  return r.body === undefined ? h : concat([h, r.body]);
}

/** Where a tool sends its requests. */
export interface Target {
  readonly hostname: string;
  readonly port: number;
  readonly tls: boolean;
  /** The Host field value. */
  readonly host: string;
  /** The URL's path, without a trailing slash ("" for the root). */
  readonly base: string;
  /** PEM certificates to trust besides the system's (self-signed test servers). */
  readonly caCerts?: readonly string[];
}

/**
 * The target of an http:// or https:// URL.
 * @throws {TypeError} for another scheme or an unparsable URL
 */
export function targetOf(url: string): Target {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new TypeError(`Cannot test ${url}: expected an http:// or https:// URL`);
  }
  const tls = u.protocol === "https:";
  const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return {
    hostname,
    port: u.port === "" ? (tls ? 443 : 80) : Number(u.port),
    tls,
    host: u.host,
    base: u.pathname.replace(/\/+$/, ""),
  };
}

/** One kept-alive connection to a target; requests go one at a time. */
export class Connection {
  readonly #conn: Deno.Conn;
  readonly #host: string;
  #buf = new Uint8Array(16 * 1024);
  #end = 0;
  #eof = false;

  private constructor(conn: Deno.Conn, host: string) {
    this.#conn = conn;
    this.#host = host;
  }

  static async open(t: Target): Promise<Connection> {
    const conn = t.tls
      ? await Deno.connectTls({
        hostname: t.hostname,
        port: t.port,
        ...(t.caCerts === undefined ? {} : { caCerts: [...t.caCerts] }),
      })
      : await Deno.connect({ hostname: t.hostname, port: t.port });
    return new Connection(conn, t.host);
  }

  /** Whether the server ended the connection (open another for the next request). */
  get closed(): boolean {
    return this.#eof;
  }

  /**
   * Send a request and read its response.
   * @throws {Error} on a network failure or a response that does not parse
   */
  async exchange(r: Request): Promise<Response> {
    const bytes = requestBytes(r, this.#host);
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
    for (;;) {
      const p = parseResponse(this.#buf, this.#end, { head: r.method === "HEAD", eof: this.#eof });
      if (p.kind === "error") throw new Error(`Bad response: ${p.reason}`);
      if (p.kind === "done") {
        this.#buf.copyWithin(0, p.consumed, this.#end);
        this.#end -= p.consumed;
        // An informational response (100 Continue) is followed by the real one.
        if (p.response.status < 200) continue;
        return p.response;
      }
      if (this.#eof) throw new Error("Bad response: the connection closed");
      if (this.#end === this.#buf.length) {
        const next = new Uint8Array(this.#buf.length * 2);
        next.set(this.#buf);
        this.#buf = next;
      }
      const n = await this.#conn.read(this.#buf.subarray(this.#end));
      if (n === null) this.#eof = true;
      else this.#end += n;
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

/** One request on a connection of its own (closed afterwards). */
export async function once(t: Target, r: Request): Promise<Response> {
  const c = await Connection.open(t);
  try {
    return await c.exchange({ ...r, fields: [...(r.fields ?? []), ["Connection", "close"]] });
  } finally {
    c.close();
  }
}
