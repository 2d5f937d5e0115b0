/**
 * A tiny HTTP/1.1 client over Deno.Conn for the readiness probe and the idle-connection case:
 * send one GET, read exactly one response framed by Content-Length. The framing check is pure.
 * @module
 */

const CRLFCRLF = [0x0d, 0x0a, 0x0d, 0x0a];

/** Where one response ends in a buffer. */
export interface Framed {
  /** Status code of the response. */
  readonly status: number;
  /** Bytes of head plus body. */
  readonly total: number;
}

function findHeadEnd(buf: Uint8Array, len: number): number {
  outer: for (let i = 0; i + 4 <= len; i++) {
    for (let k = 0; k < 4; k++) if (buf[i + k] !== CRLFCRLF[k]) continue outer;
    return i + 4;
  }
  return -1;
}

function digits(text: string): number | null {
  if (text.length === 0 || text.length > 15) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Find the end of the first response in `buf[0..len)`. Only Content-Length framing is
 * understood (the bench asks only for files and 404 pages); a response without it is an error,
 * except a 304 or 204, which never has a body (RFC 9112 §6.3).
 * @param buf received bytes
 * @param len how many of them are valid
 * @returns the status and total length, "more" when incomplete, or an Error
 * @example
 * const b = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
 * frameResponse(b, b.length); // { status: 200, total: 40 }
 */
export function frameResponse(buf: Uint8Array, len: number): Framed | "more" | Error {
  const headEnd = findHeadEnd(buf, len);
  if (headEnd < 0) return "more";
  const head = new TextDecoder().decode(buf.subarray(0, headEnd));
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
  if (status === null) return new Error(`Unexpected status line "${head.split("\r\n")[0]}"`);
  const code = Number(status[1]);
  if (code === 304 || code === 204) return { status: code, total: headEnd };
  const cl = /\r\ncontent-length:[ \t]*([^\r]*?)[ \t]*\r\n/i.exec(head);
  const length = cl === null ? null : digits(cl[1] ?? "");
  if (length === null) return new Error("Response has no usable Content-Length");
  const total = headEnd + length;
  return total <= len ? { status: digits(status[1] ?? "") ?? 0, total } : "more";
}

/** How long {@link getOnce} waits for a whole response by default. */
export const GET_TIMEOUT_MS = 10_000;

/**
 * Send `GET path` (keep-alive) and read one response. On timeout the connection is closed.
 * @param conn an open connection
 * @param path request target
 * @param headers extra header lines, e.g. `["Range: bytes=0-9"]`
 * @param timeoutMs deadline for the whole exchange
 * @returns the response status, or an Error (closed early, bad framing, timeout)
 */
export async function getOnce(
  conn: Deno.Conn,
  path: string,
  headers: readonly string[] = [],
  timeoutMs = GET_TIMEOUT_MS,
): Promise<number | Error> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(conn);
  }, timeoutMs);
  try {
    return await exchange(conn, path, headers);
  } catch (e) {
    if (timedOut) return new Error(`No whole response within ${timeoutMs} ms`);
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(
  conn: Deno.Conn,
  path: string,
  headers: readonly string[],
): Promise<number | Error> {
  const extra = headers.map((h) => `${h}\r\n`).join("");
  const req = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n${extra}\r\n`;
  await writeAll(conn, new TextEncoder().encode(req));
  let buf = new Uint8Array(4096);
  let len = 0;
  for (;;) {
    if (len === buf.length) buf = grow(buf);
    const n = await conn.read(buf.subarray(len));
    if (n === null) return new Error("Connection closed before a whole response");
    len += n;
    const f = frameResponse(buf, len);
    if (f instanceof Error) return f;
    if (f !== "more") return f.status;
  }
}

/**
 * Close a connection that may already be closed.
 * @param conn the connection
 */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

function grow(buf: Uint8Array): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(buf.length * 2);
  next.set(buf);
  return next;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Connect, GET one path, close: the status, or an Error.
 * @param port port on 127.0.0.1
 * @param path request target
 * @param headers extra header lines
 * @param tlsCa over TLS, verifying the server against this CA (PEM) as "localhost"
 * @returns status or Error
 */
export async function fetchStatus(
  port: number,
  path: string,
  headers: readonly string[] = [],
  tlsCa: string | null = null,
): Promise<number | Error> {
  let conn: Deno.Conn;
  try {
    conn = tlsCa === null
      ? await Deno.connect({ hostname: "127.0.0.1", port })
      : await Deno.connectTls({ hostname: "localhost", port, caCerts: [tlsCa] });
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  try {
    return await getOnce(conn, path, headers);
  } finally {
    closeQuietly(conn);
  }
}
