/**
 * One worker of the raw-loop reference (`raw_loop_ref.ts`): listens with `SO_REUSEPORT`, like
 * our workers, and answers each request head with a response assembled in advance (head and
 * body in one buffer, one write), through the same transport as ours (`connTransport`). No
 * validators, ranges, sessions, logs or cache checks: what a Deno worker costs before any of
 * the server's own work, for the cases whose answer can be prepared once.
 * @module
 */

/// <reference lib="deno.worker" />

import { connTransport } from "../../lib/server/conn_transport.ts";
import { setListenerNoDelay } from "../../lib/server/libc.ts";
import { writeAll } from "../../lib/server/transport.ts";

/** Message from raw_loop_ref.ts. */
export interface RawStart {
  readonly port: number;
  /** Files by request path ("/1k.html"), read once by the main thread. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** Also listen with TLS on this port, with this certificate chain and key (PEM). */
  readonly tls: { readonly port: number; readonly cert: string; readonly key: string } | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");
const NOT_FOUND = enc.encode("not found\n");
const CLOSE_FIELD = /\r\nconnection:[ \t]*close[ \t]*\r\n/i;

/** Responses by path, for keep-alive and for close, rebuilt when the Date second changes. */
let responses = new Map<string, { keep: Uint8Array; close: Uint8Array }>();
let notFound: { keep: Uint8Array; close: Uint8Array } = {
  keep: new Uint8Array(0),
  close: new Uint8Array(0),
};
let second = -1;

function response(status: string, type: string, body: Uint8Array, close: boolean): Uint8Array {
  const head = enc.encode(
    `HTTP/1.1 ${status}\r\nServer: raw\r\nDate: ${new Date(second * 1000).toUTCString()}\r\n` +
      `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
      (close ? "Connection: close\r\n\r\n" : "\r\n"),
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function refresh(files: Readonly<Record<string, Uint8Array>>): void {
  const now = Math.floor(Date.now() / 1000);
  if (now === second) return;
  second = now;
  const next = new Map<string, { keep: Uint8Array; close: Uint8Array }>();
  for (const [path, body] of Object.entries(files)) {
    const type = path.endsWith(".html") ? "text/html; charset=utf-8" : "application/octet-stream";
    next.set(path, {
      keep: response("200 OK", type, body, false),
      close: response("200 OK", type, body, true),
    });
  }
  responses = next;
  const t = "text/plain";
  notFound = {
    keep: response("404 Not Found", t, NOT_FOUND, false),
    close: response("404 Not Found", t, NOT_FOUND, true),
  };
}

/** Serve one connection: every complete head in the buffer gets its prepared response. */
async function serve(conn: Deno.Conn): Promise<void> {
  const t = connTransport(conn);
  let buf: Uint8Array = new Uint8Array(2048);
  let end = 0;
  try {
    for (;;) {
      const n = await t.read(end === 0 ? buf : buf.subarray(end));
      if (n === null || n === 0) return;
      end += n;
      let start = 0;
      for (;;) {
        const headEnd = indexOfBlankLine(buf, start, end);
        if (headEnd < 0) break;
        const head = dec.decode(buf.subarray(start, headEnd));
        start = headEnd + 4;
        const sp = head.indexOf(" ");
        const target = head.slice(sp + 1, head.indexOf(" ", sp + 1));
        const close = CLOSE_FIELD.test(head + "\r\n");
        const r = responses.get(target) ?? notFound;
        await writeAll(t, close ? r.close : r.keep);
        if (close) return;
      }
      buf.copyWithin(0, start, end);
      end -= start;
      if (end === buf.length) buf = growTo(buf, buf.length * 2);
    }
  } catch {
    /* the client went away */
  } finally {
    try {
      t.close();
    } catch { /* closed */ }
  }
}

function indexOfBlankLine(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function growTo(b: Uint8Array, size: number): Uint8Array {
  const n = new Uint8Array(size);
  n.set(b);
  return n;
}

self.onmessage = async (e: MessageEvent<RawStart>) => {
  const { port, files, tls } = e.data;
  refresh(files);
  setInterval(() => refresh(files), 200);
  const l = Deno.listen({ hostname: "127.0.0.1", port, reusePort: true });
  if (tls !== null) {
    const t = Deno.listenTls({
      hostname: "127.0.0.1",
      port: tls.port,
      reusePort: true,
      alpnProtocols: ["http/1.1"],
      cert: tls.cert,
      key: tls.key,
    });
    setListenerNoDelay(tls.port);
    (async () => {
      for await (const conn of t) void serve(conn);
    })();
  }
  self.postMessage("ready");
  for await (const conn of l) void serve(conn);
};
