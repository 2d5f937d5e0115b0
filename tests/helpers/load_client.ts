/**
 * A bounded client load that tells every kind of failure apart, for the reload and fault tests:
 * keep-alive clients (many requests per connection, following `Connection: close`), clients
 * opening a new connection per request, and one download, read slowly while the load runs,
 * whose SHA-256 is reported.
 * Runs as its own process (so it can run inside a network namespace) until the file named by
 * --stop-file exists or --max-seconds pass, then prints one JSON line of LoadReport.
 *
 *   deno run -A tests/helpers/load_client.ts --port P [--keep-alive 4] [--fresh 2]
 *     [--download /big.bin --download-kib-per-tick 64 --tick-ms 30] --stop-file F
 * @module
 */

import { parseArgs } from "node:util";

/** What the load saw. */
export interface LoadReport {
  /** Requests answered completely with the expected status. */
  ok: number;
  /** Requests that got no complete, correct answer. */
  failed: number;
  /** Connections reset by the server (ECONNRESET, EPIPE). */
  resets: number;
  /**
   * Requests sent on a reused keep-alive connection that the server closed before answering
   * (a client would retry them; counted apart, and expected to be 0).
   */
  closedUnanswered: number;
  /** The first few failures, for the test's message. */
  errors: string[];
  download: { bytes: number; sha256: string; status: number; error: string } | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes read from a connection and not used yet, in a buffer that doubles as it fills. */
class Reader {
  #store = new Uint8Array(65536);
  #start = 0;
  #end = 0;
  constructor(readonly conn: Deno.Conn) {}
  get buf(): Uint8Array {
    return this.#store.subarray(this.#start, this.#end);
  }
  async more(): Promise<boolean> {
    if (this.#end + 65536 > this.#store.length) {
      const next = new Uint8Array(
        Math.max(this.#store.length, 2 * (this.#end - this.#start) + 65536),
      );
      next.set(this.buf);
      this.#end -= this.#start;
      this.#start = 0;
      this.#store = next;
    }
    const n = await this.conn.read(this.#store.subarray(this.#end, this.#end + 65536));
    if (n === null) return false;
    this.#end += n;
    return true;
  }
  take(n: number): Uint8Array {
    const out = this.#store.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}

/** A response read by this client. */
export interface Response {
  status: number;
  close: boolean;
  body: Uint8Array;
}

/** Read one response with a Content-Length body; null when the stream ended before any byte. */
async function readResponse(r: Reader): Promise<Response | null> {
  let end: number;
  for (;;) {
    end = findHeadEnd(r.buf);
    if (end >= 0) break;
    if (!(await r.more())) {
      if (r.buf.length === 0) return null;
      throw new Error("stream ended inside a response head");
    }
  }
  const head = dec.decode(r.take(end + 4));
  const status = Number(head.slice(9, 12));
  const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? "0");
  const close = /\r\nconnection: *close/i.test(head);
  while (r.buf.length < len) {
    if (!(await r.more())) throw new Error(`stream ended inside a body (${r.buf.length}/${len})`);
  }
  return { status, close, body: r.take(len) };
}

/** One keep-alive connection that sends a GET and reads its answer, one at a time. */
export class KeepAliveConn {
  readonly #conn: Deno.Conn;
  readonly #reader: Reader;
  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new Reader(conn);
  }
  static async open(port: number): Promise<KeepAliveConn> {
    return new KeepAliveConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  /** The response, or null when the connection ended before one. Throws when reset. */
  async get(path: string): Promise<Response | null> {
    await this.send(path);
    return await this.read();
  }
  /** Send a GET without reading its answer (see read()). */
  async send(path: string): Promise<void> {
    await writeAll(this.#conn, enc.encode(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
  }
  /** Read the next response, or null when the connection ended before one. */
  read(): Promise<Response | null> {
    return readResponse(this.#reader);
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

function findHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function isReset(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.ConnectionAborted;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Runs the load; `stopped()` says when to end. */
export async function runLoad(o: {
  port: number;
  keepAlive: number;
  fresh: number;
  paths: string[];
  download: { path: string; kibPerTick: number; tickMs: number } | null;
  stopped: () => boolean;
}): Promise<LoadReport> {
  const report: LoadReport = {
    ok: 0,
    failed: 0,
    resets: 0,
    closedUnanswered: 0,
    errors: [],
    download: null,
  };
  const fail = (what: string, e?: unknown) => {
    report.failed++;
    if (isReset(e)) report.resets++;
    if (report.errors.length < 10) {
      report.errors.push(
        `${what}${e === undefined ? "" : `: ${e instanceof Error ? e.name + " " + e.message : e}`}`,
      );
    }
  };
  let n = 0;
  const nextPath = () => o.paths[n++ % o.paths.length]!;
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: o.port });

  async function keepAliveClient(): Promise<void> {
    while (!o.stopped()) {
      let conn: Deno.Conn;
      try {
        conn = await connect();
      } catch (e) {
        fail("connect", e);
        continue;
      }
      const r = new Reader(conn);
      let sent = 0;
      try {
        while (!o.stopped()) {
          const path = nextPath();
          await writeAll(conn, enc.encode(`GET ${path} HTTP/1.1\r\nHost: load\r\n\r\n`));
          sent++;
          const res = await readResponse(r);
          if (res === null) {
            if (sent > 1) report.closedUnanswered++;
            else fail(`GET ${path}: closed before an answer`);
            break;
          }
          if (res.status === 200) report.ok++;
          else fail(`GET ${path}: status ${res.status}`);
          if (res.close) break;
        }
      } catch (e) {
        fail("keep-alive request", e);
      } finally {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    }
  }

  async function freshClient(): Promise<void> {
    while (!o.stopped()) {
      const path = nextPath();
      try {
        const conn = await connect();
        try {
          await writeAll(
            conn,
            enc.encode(`GET ${path} HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n`),
          );
          const res = await readResponse(new Reader(conn));
          if (res?.status === 200) report.ok++;
          else fail(`GET ${path} (new connection): ${res === null ? "no answer" : res.status}`);
        } finally {
          conn.close();
        }
      } catch (e) {
        fail(`GET ${path} (new connection)`, e);
      }
    }
  }

  async function download(d: { path: string; kibPerTick: number; tickMs: number }) {
    const result = { bytes: 0, sha256: "", status: 0, error: "" };
    report.download = result;
    const parts: Uint8Array[] = [];
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: o.port });
      await writeAll(
        conn,
        enc.encode(`GET ${d.path} HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n`),
      );
      const r = new Reader(conn);
      while (findHeadEnd(r.buf) < 0) {
        if (!(await r.more())) throw new Error("no response head");
      }
      const head = dec.decode(r.take(findHeadEnd(r.buf) + 4));
      result.status = Number(head.slice(9, 12));
      parts.push(r.take(r.buf.length));
      const chunk = new Uint8Array(d.kibPerTick * 1024);
      for (;;) {
        const got = await conn.read(chunk);
        if (got === null) break;
        parts.push(chunk.slice(0, got));
        // Slow while the load runs (the server keeps sending across what happens meanwhile),
        // at full speed once it is over.
        if (!o.stopped()) await new Promise((res) => setTimeout(res, d.tickMs));
      }
      conn.close();
    } catch (e) {
      result.error = e instanceof Error ? `${e.name} ${e.message}` : String(e);
      if (isReset(e)) report.resets++;
    }
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) (all.set(p, off), off += p.length);
    result.bytes = all.length;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
    result.sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const tasks: Promise<void>[] = [];
  if (o.download !== null) tasks.push(download(o.download));
  for (let i = 0; i < o.keepAlive; i++) tasks.push(keepAliveClient());
  for (let i = 0; i < o.fresh; i++) tasks.push(freshClient());
  await Promise.all(tasks);
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      "keep-alive": { type: "string", default: "4" },
      fresh: { type: "string", default: "2" },
      paths: { type: "string", default: "/hello.txt" },
      download: { type: "string" },
      "download-kib-per-tick": { type: "string", default: "64" },
      "tick-ms": { type: "string", default: "30" },
      "stop-file": { type: "string" },
      "max-seconds": { type: "string", default: "60" },
    },
  });
  const until = Date.now() + Number(values["max-seconds"]) * 1000;
  const stopFile = values["stop-file"];
  let stop = false;
  const timer = setInterval(() => {
    if (Date.now() > until) stop = true;
    if (stopFile !== undefined) {
      try {
        Deno.statSync(stopFile);
        stop = true;
      } catch { /* not yet */ }
    }
  }, 20);
  const report = await runLoad({
    port: Number(values.port),
    keepAlive: Number(values["keep-alive"]),
    fresh: Number(values.fresh),
    paths: values.paths.split(","),
    download: values.download === undefined ? null : {
      path: values.download,
      kibPerTick: Number(values["download-kib-per-tick"]),
      tickMs: Number(values["tick-ms"]),
    },
    stopped: () => stop,
  });
  clearInterval(timer);
  Deno.stdout.writeSync(enc.encode(JSON.stringify(report) + "\n"));
}
