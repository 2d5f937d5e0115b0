/**
 * A raw HTTP/1.1 client for black-box tests and the soak: exact request bytes over one TCP connection, responses
 * read back with their framing (Content-Length, chunked, or none for HEAD/204/304; 1xx
 * interim responses are returned like others), every read bounded by a timeout, and reads
 * that can be paced to act as a slow client.
 * @module
 */

/** One response as read off the wire. */
export interface Response {
  readonly status: number;
  /** Fields by lower-cased name (repeated ones joined with ", "). */
  readonly fields: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/** How a response body is read. */
export interface ReadOptions {
  /** The request was HEAD: no body follows whatever Content-Length says. */
  readonly head?: boolean;
  /** Read at most this many bytes per read (a slow reader). */
  readonly readSize?: number;
  /** Pause this long between reads (a slow reader). */
  readonly pauseMs?: number;
  /** Stop after this many body bytes and return what was read (an aborted download). */
  readonly stopAfter?: number;
}

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One client connection. */
export class HttpConn {
  readonly #conn: Deno.TcpConn;
  readonly #timeoutMs: number;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #eof = false;

  private constructor(conn: Deno.TcpConn, timeoutMs: number) {
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
  }

  /** Connect to 127.0.0.1:port; every read fails after `timeoutMs` without data. */
  static async open(port: number, timeoutMs = 15_000): Promise<HttpConn> {
    return new HttpConn(await Deno.connect({ hostname: "127.0.0.1", port }), timeoutMs);
  }

  /** Write all bytes (text as latin1). */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0)) : data;
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** Write text in pieces of `size` bytes with `pauseMs` between them (a slow client). */
  async writeSlowly(data: string | Uint8Array, size: number, pauseMs: number): Promise<void> {
    const bytes = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0)) : data;
    for (let off = 0; off < bytes.length; off += size) {
      await this.write(bytes.subarray(off, off + size));
      if (off + size < bytes.length) await sleep(pauseMs);
    }
  }

  /** Read more bytes into the buffer; false at the end of the stream. */
  async #fill(max = Infinity): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const room = this.#buf.subarray(this.#end, Math.min(this.#buf.length, this.#end + max));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      this.#conn.read(room),
      new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), this.#timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (n === "timeout") throw new Error(`no data for ${this.#timeoutMs} ms`);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  /** The next response (interim ones included). */
  async read(o: ReadOptions = {}): Promise<Response> {
    const headEnd = await this.#headEnd();
    const text = latin1(this.#buf.subarray(this.#start, headEnd));
    this.#start = headEnd + 4;
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!);
    if (m === null) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const fields = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      const name = l.slice(0, c).toLowerCase();
      const value = l.slice(c + 1).trim();
      fields.set(name, fields.has(name) ? `${fields.get(name)}, ${value}` : value);
    }
    let body: Uint8Array = new Uint8Array(0);
    if (!(o.head || status < 200 || status === 204 || status === 304)) {
      if (fields.get("transfer-encoding") === "chunked") body = await this.#chunked();
      else if (fields.has("content-length")) {
        body = await this.#bytes(Number(fields.get("content-length")), o);
      } else throw new Error(`response ${status} has no framing`);
    }
    return { status, fields, body };
  }

  /** The next final response, skipping 1xx interim ones. */
  async readFinal(o: ReadOptions = {}): Promise<Response> {
    for (;;) {
      const r = await this.read(o);
      if (r.status >= 200) return r;
    }
  }

  async #headEnd(): Promise<number> {
    let scanned = 0; // bytes after #start already searched (offsets survive a compaction)
    for (;;) {
      const i = indexOfCrlfCrlf(this.#buf, this.#start + Math.max(0, scanned - 3), this.#end);
      if (i >= 0) return i;
      scanned = this.#end - this.#start;
      if (!(await this.#fill())) throw new Error("connection closed before a response head");
    }
  }

  async #bytes(n: number, o: ReadOptions): Promise<Uint8Array> {
    const out = new Uint8Array(Math.min(n, o.stopAfter ?? n));
    let got = 0;
    while (got < out.length) {
      if (this.#start === this.#end) {
        if (o.pauseMs) await sleep(o.pauseMs);
        if (!(await this.#fill(o.readSize))) {
          throw new Error(`connection closed after ${got} of ${n} body bytes`);
        }
      }
      const take = Math.min(out.length - got, this.#end - this.#start);
      out.set(this.#buf.subarray(this.#start, this.#start + take), got);
      this.#start += take;
      got += take;
    }
    return out;
  }

  async #line(): Promise<string> {
    for (;;) {
      for (let i = this.#start; i + 1 < this.#end; i++) {
        if (this.#buf[i] === 0x0d && this.#buf[i + 1] === 0x0a) {
          const s = latin1(this.#buf.subarray(this.#start, i));
          this.#start = i + 2;
          return s;
        }
      }
      if (!(await this.#fill())) throw new Error("connection closed inside a chunked body");
    }
  }

  async #chunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const size = parseInt(await this.#line(), 16);
      if (!Number.isFinite(size)) throw new Error("bad chunk size in a response");
      if (size === 0) {
        while ((await this.#line()) !== "");
        break;
      }
      parts.push(await this.#bytes(size, {}));
      await this.#line();
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Whether the server closes the connection (end of stream) within the read timeout. */
  async closedByServer(): Promise<boolean> {
    try {
      while (this.#start === this.#end) if (!(await this.#fill())) return true;
      return false; // more bytes came
    } catch {
      return false;
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

function indexOfCrlfCrlf(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 3 < end; i++) {
    if (b[i] === 0x0d && b[i + 1] === 0x0a && b[i + 2] === 0x0d && b[i + 3] === 0x0a) return i;
  }
  return -1;
}

/** Each byte as one char code. */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
