/**
 * What the soak's clients do: each kind of exchange, the status it must get and the bytes it
 * must read back. A kind throws on anything unexpected (status, a byte, a missing field, a
 * connection closed too early or left open after an error); every final response the server
 * sent, answered or cut off by the client, is recorded so the access log can be checked
 * against it line for line.
 * @module
 */

import { firstDifference, type Fixture, FIXTURES, offsetBytes, TEXT_FIXTURE } from "./fixtures.ts";
import { HttpConn, latin1, type Response as HttpResponse } from "../helpers/http_conn.ts";

/** What a kind needs from the soak. */
export interface KindContext {
  readonly port: number;
  /** `Basic ...` credentials of the soak's writer. */
  readonly auth: string;
  /** The same user with a wrong password. */
  readonly badAuth: string;
  /** This client's number (names its scratch files). */
  readonly client: number;
  /** A uniform random number in [0, 1) from the client's seeded generator. */
  random(): number;
  /** A final response the server sent (its access-log line must exist). */
  record(status: number): void;
}

/** One kind of exchange and how often it is picked. */
export interface Kind {
  readonly name: string;
  readonly weight: number;
  run(c: KindContext): Promise<void>;
}

const full = new Map<string, Uint8Array>();
/** The bytes of a fixture (kept once generated). */
function bytesOf(f: Fixture): Uint8Array {
  let b = full.get(f.path);
  if (b === undefined) full.set(f.path, b = offsetBytes(f.tag, f.size));
  return b;
}

const int = (c: KindContext, n: number) => Math.floor(c.random() * n);
const pick = <T>(c: KindContext, xs: readonly T[]): T => xs[int(c, xs.length)]!;

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

function expectStatus(r: HttpResponse, status: number | number[], what: string): void {
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  check(ok, `${what}: status ${r.status}, expected ${status}`);
}

function expectBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  const at = firstDifference(got, want);
  check(
    at < 0,
    `${what}: ${got.length} bytes, expected ${want.length}, first difference at ${at}`,
  );
}

async function withConn<T>(c: KindContext, f: (conn: HttpConn) => Promise<T>): Promise<T> {
  const conn = await HttpConn.open(c.port);
  try {
    return await f(conn);
  } finally {
    conn.close();
  }
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: soak\r\n${extra}\r\n`;

/** GET or HEAD of fixtures on one keep-alive connection; revalidation with the ETag got. */
const keepAlive: Kind = {
  name: "get-keepalive",
  weight: 30,
  run: (c) =>
    withConn(c, async (conn) => {
      const n = 1 + int(c, 10);
      const etags = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const f = pick(c, FIXTURES);
        const roll = c.random();
        const etag = etags.get(f.path);
        if (roll < 0.15 && etag !== undefined) {
          await conn.write(GET(f.path, `If-None-Match: ${etag}\r\n`));
          const r = await conn.readFinal();
          c.record(r.status);
          expectStatus(r, 304, `revalidate ${f.path}`);
          continue;
        }
        const head = roll > 0.9;
        await conn.write(head ? `HEAD ${f.path} HTTP/1.1\r\nHost: soak\r\n\r\n` : GET(f.path));
        const r = await conn.readFinal({ head });
        c.record(r.status);
        expectStatus(r, 200, `${head ? "HEAD" : "GET"} ${f.path}`);
        check(r.fields.get("content-length") === String(f.size), `${f.path}: Content-Length`);
        if (!head) expectBytes(r.body, bytesOf(f), `GET ${f.path}`);
        const e = r.fields.get("etag");
        if (e !== undefined) etags.set(f.path, e);
      }
    }),
};

/** One GET per connection with Connection: close; the server must close after it. */
const close: Kind = {
  name: "get-close",
  weight: 8,
  run: (c) =>
    withConn(c, async (conn) => {
      const f = pick(c, FIXTURES);
      await conn.write(GET(f.path, "Connection: close\r\n"));
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 200, `GET ${f.path} (close)`);
      expectBytes(r.body, bytesOf(f), `GET ${f.path} (close)`);
      check(await conn.closedByServer(), "the server kept a Connection: close connection open");
    }),
};

/** Single, suffix, open-ended, multipart and unsatisfiable ranges. */
const ranges: Kind = {
  name: "range",
  weight: 12,
  run: (c) =>
    withConn(c, async (conn) => {
      const n = 1 + int(c, 5);
      for (let i = 0; i < n; i++) {
        const f = pick(c, FIXTURES.filter((x) => x.size > 64));
        const all = bytesOf(f);
        const form = int(c, 5);
        if (form === 4) {
          await conn.write(GET(f.path, `Range: bytes=${f.size + int(c, 100)}-\r\n`));
          const r = await conn.readFinal();
          c.record(r.status);
          expectStatus(r, 416, `unsatisfiable range of ${f.path}`);
          check(r.fields.get("content-range") === `bytes */${f.size}`, "416 Content-Range");
          continue;
        }
        if (form === 3) {
          await multipart(c, conn, f, all);
          continue;
        }
        const a = int(c, f.size);
        const b = a + int(c, f.size - a);
        const suffix = 1 + int(c, f.size);
        const [spec, start, end] = form === 0
          ? [`${a}-${b}`, a, b]
          : form === 1
          ? [`-${suffix}`, f.size - suffix, f.size - 1]
          : [`${a}-`, a, f.size - 1];
        await conn.write(GET(f.path, `Range: bytes=${spec}\r\n`));
        const r = await conn.readFinal();
        c.record(r.status);
        expectStatus(r, 206, `range ${spec} of ${f.path}`);
        check(
          r.fields.get("content-range") === `bytes ${start}-${end}/${f.size}`,
          `range ${spec}: Content-Range ${r.fields.get("content-range")}`,
        );
        expectBytes(r.body, all.subarray(start, end + 1), `range ${spec} of ${f.path}`);
      }
    }),
};

/** Two to five separate ranges in increasing order: a multipart/byteranges body. */
async function multipart(c: KindContext, conn: HttpConn, f: Fixture, all: Uint8Array) {
  const cuts = new Set<number>();
  const count = 2 + int(c, 4);
  while (cuts.size < count * 2) cuts.add(int(c, f.size));
  const sorted = [...cuts].sort((x, y) => x - y);
  const specs: Array<[number, number]> = [];
  for (let k = 0; k < sorted.length; k += 2) specs.push([sorted[k]!, sorted[k + 1]! - 1]);
  const spec = specs.map(([a, b]) => `${a}-${b}`).join(",");
  await conn.write(GET(f.path, `Range: bytes=${spec}\r\n`));
  const r = await conn.readFinal();
  c.record(r.status);
  expectStatus(r, 206, `multipart range of ${f.path}`);
  const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(r.fields.get("content-type") ?? "");
  check(m !== null, `multipart range: Content-Type ${r.fields.get("content-type")}`);
  const text = latin1(r.body);
  let at = 0;
  for (const [a, b] of specs) {
    const delimiter = `\r\n--${m[1]}\r\n`;
    check(text.startsWith(delimiter, at), `multipart range: no delimiter at ${at}`);
    const headEnd = text.indexOf("\r\n\r\n", at + delimiter.length - 2);
    const head = text.slice(at, headEnd);
    check(head.includes(`Content-Range: bytes ${a}-${b}/${f.size}`), `part head ${head}`);
    at = headEnd + 4;
    expectBytes(r.body.subarray(at, at + b - a + 1), all.subarray(a, b + 1), `part ${a}-${b}`);
    at += b - a + 1;
  }
  check(text.slice(at) === `\r\n--${m[1]}--\r\n`, "multipart range: closing delimiter");
}

/** Names that do not exist. */
const notFound: Kind = {
  name: "not-found",
  weight: 8,
  run: (c) =>
    withConn(c, async (conn) => {
      const n = 1 + int(c, 5);
      for (let i = 0; i < n; i++) {
        await conn.write(GET(`/nothing/${c.client}-${int(c, 1e9)}.html`));
        const r = await conn.readFinal();
        c.record(r.status);
        expectStatus(r, 404, "missing file");
      }
    }),
};

/** A text file compressed on the fly. */
const gzip: Kind = {
  name: "gzip",
  weight: 4,
  run: (c) =>
    withConn(c, async (conn) => {
      await conn.write(GET(TEXT_FIXTURE.path, "Accept-Encoding: gzip\r\n"));
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 200, "gzip");
      check(r.fields.get("content-encoding") === "gzip", "gzip: Content-Encoding");
      const plain = new Uint8Array(
        await new Response(
          new Blob([r.body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
            new DecompressionStream("gzip"),
          ),
        ).arrayBuffer(),
      );
      expectBytes(plain, bytesOf(TEXT_FIXTURE), "gzip body");
    }),
};

/** A body of `size` bytes of this client's own content. */
function uploadBody(c: KindContext, size: number): Uint8Array {
  return offsetBytes(String.fromCharCode(0x61 + (c.client % 26)), size);
}

function put(path: string, auth: string, body: Uint8Array, extra = ""): string {
  return `PUT ${path} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${auth}\r\n` +
    `Content-Length: ${body.length}\r\n${extra}\r\n`;
}

/** Create, read back, replace, delete, read again: 201, 200, 204, 204, 404. */
const putDelete: Kind = {
  name: "put-delete",
  weight: 6,
  run: (c) =>
    withConn(c, async (conn) => {
      const path = `/scratch/w${c.client}-${int(c, 1e9)}.bin`;
      for (const [step, status] of [["create", 201], ["replace", 204]] as const) {
        const body = uploadBody(c, int(c, 300 * 1024));
        const expect = c.random() < 0.3;
        await conn.write(put(path, c.auth, body, expect ? "Expect: 100-continue\r\n" : ""));
        if (expect) expectStatus(await conn.read(), 100, `${step} ${path}: interim`);
        await conn.write(body);
        const r = await conn.readFinal();
        c.record(r.status);
        expectStatus(r, status, `${step} ${path}`);
        await conn.write(GET(path));
        const g = await conn.readFinal();
        c.record(g.status);
        expectStatus(g, 200, `read back ${path}`);
        expectBytes(g.body, body, `read back ${path}`);
      }
      await conn.write(`DELETE ${path} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n\r\n`);
      const d = await conn.readFinal();
      c.record(d.status);
      expectStatus(d, 204, `DELETE ${path}`);
      await conn.write(GET(path));
      const g = await conn.readFinal();
      c.record(g.status);
      expectStatus(g, 404, `GET ${path} after DELETE`);
    }),
};

/** A chunked PUT body, read back and deleted. */
const chunkedPut: Kind = {
  name: "put-chunked",
  weight: 2,
  run: (c) =>
    withConn(c, async (conn) => {
      const path = `/scratch/c${c.client}-${int(c, 1e9)}.bin`;
      const body = uploadBody(c, int(c, 100 * 1024));
      let wire = `PUT ${path} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n` +
        "Transfer-Encoding: chunked\r\n\r\n";
      for (let at = 0; at < body.length;) {
        const n = Math.min(body.length - at, 1 + int(c, 20000));
        wire += `${n.toString(16)}\r\n${latin1(body.subarray(at, at + n))}\r\n`;
        at += n;
      }
      await conn.write(wire + "0\r\n\r\n");
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 201, `chunked PUT ${path}`);
      await conn.write(GET(path));
      const g = await conn.readFinal();
      c.record(g.status);
      expectBytes(g.body, body, `read back ${path}`);
      await conn.write(`DELETE ${path} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n\r\n`);
      const d = await conn.readFinal();
      c.record(d.status);
      expectStatus(d, 204, `DELETE ${path}`);
    }),
};

/** POST to the upload folder: 201 with a Location that serves the same bytes. */
const upload: Kind = {
  name: "upload",
  weight: 4,
  run: (c) =>
    withConn(c, async (conn) => {
      const body = uploadBody(c, 1 + int(c, 200 * 1024));
      await conn.write(
        `POST /uploads/ HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      await conn.write(body);
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 201, "upload");
      const location = r.fields.get("location");
      check(location?.startsWith("/uploads/") === true, `upload: Location ${location}`);
      await conn.write(GET(location));
      const g = await conn.readFinal();
      c.record(g.status);
      expectBytes(g.body, body, `read back ${location}`);
      await conn.write(
        `DELETE ${location} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n\r\n`,
      );
      const d = await conn.readFinal();
      c.record(d.status);
      expectStatus(d, 204, `DELETE ${location}`);
    }),
};

/** A PUT without credentials (401), or now and then a wrong password (401, or 429 if limited). */
const unauthorized: Kind = {
  name: "unauthorized",
  weight: 2,
  run: (c) =>
    withConn(c, async (conn) => {
      const wrong = c.random() < 0.2;
      const body = uploadBody(c, 10);
      const head = `PUT /scratch/denied.bin HTTP/1.1\r\nHost: soak\r\n` +
        (wrong ? `Authorization: ${c.badAuth}\r\n` : "") + `Content-Length: 10\r\n\r\n`;
      await conn.write(head);
      await conn.write(body);
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, wrong ? [401, 429] : 401, wrong ? "wrong password" : "no credentials");
    }),
};

/** Malformed requests and the status each must get; the server closes after each. */
const BAD: ReadonlyArray<readonly [string, number]> = [
  ["GET / HTTP/1.1\r\nHost: soak\r\nBad Name: x\r\n\r\n", 400],
  ["GET / HTTP/1.1\r\nHost: soak\r\nX: 1\r\n folded\r\n\r\n", 400],
  ["GET / HTTP/1.1\r\n\r\n", 400],
  ["GET / HTTP/1.1\nHost: soak\n\n", 400],
  ["GET  / HTTP/1.1\r\nHost: soak\r\n\r\n", 400],
  ["GET / HTTP/1.1\r\nHost: soak\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
  ["GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: soak\r\n\r\n", 414],
  ["GET / HTTP/1.1\r\nHost: soak\r\nX: " + "b".repeat(17000) + "\r\n\r\n", 431],
  ["BREW / HTTP/1.1\r\nHost: soak\r\n\r\n", 501],
  ["GET / HTTP/2.0\r\nHost: soak\r\n\r\n", 505],
  ["GET /%zz HTTP/1.1\r\nHost: soak\r\n\r\n", 400],
];

const badRequest: Kind = {
  name: "bad-request",
  weight: 5,
  run: (c) =>
    withConn(c, async (conn) => {
      const [wire, status] = pick(c, BAD);
      await conn.write(wire);
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, status, `bad request ${JSON.stringify(wire.slice(0, 30))}`);
      check(await conn.closedByServer(), `the server kept the connection open after ${status}`);
    }),
};

/** A download abandoned part way: the client closes; the server logs it and goes on. */
const aborted: Kind = {
  name: "aborted",
  weight: 2,
  run: (c) =>
    withConn(c, async (conn) => {
      const f = FIXTURES.find((x) => x.path === "/f/huge.bin")!;
      await conn.write(GET(f.path));
      const r = await conn.readFinal({ stopAfter: 1 + int(c, 512 * 1024) });
      c.record(r.status);
      expectStatus(r, 200, "aborted download");
      expectBytes(r.body, bytesOf(f).subarray(0, r.body.length), "aborted download");
    }),
};

/** A head sent a few bytes at a time, well within HeaderTimeout. */
const slowHead: Kind = {
  name: "slow-head",
  weight: 2,
  run: (c) =>
    withConn(c, async (conn) => {
      const f = pick(c, FIXTURES);
      await conn.writeSlowly(GET(f.path, "User-Agent: slow-soak/1.0\r\n"), 7, 60);
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 200, "slow head");
      expectBytes(r.body, bytesOf(f), "slow head");
    }),
};

/** A large file read 16 KiB at a time with pauses (the server must wait, not drop it). */
const slowReader: Kind = {
  name: "slow-reader",
  weight: 2,
  run: (c) =>
    withConn(c, async (conn) => {
      const f = FIXTURES.find((x) => x.path === "/f/large.bin")!;
      await conn.write(GET(f.path));
      const r = await conn.readFinal({ readSize: 16 * 1024, pauseMs: 20 });
      c.record(r.status);
      expectStatus(r, 200, "slow reader");
      expectBytes(r.body, bytesOf(f), "slow reader");
    }),
};

/** An upload sent in small pieces with pauses, well within RequestTimeout. */
const slowUpload: Kind = {
  name: "slow-upload",
  weight: 1,
  run: (c) =>
    withConn(c, async (conn) => {
      const path = `/scratch/s${c.client}-${int(c, 1e9)}.bin`;
      const body = uploadBody(c, 20 * 1024 + int(c, 20 * 1024));
      await conn.write(put(path, c.auth, body));
      await conn.writeSlowly(body, 2048, 80);
      const r = await conn.readFinal();
      c.record(r.status);
      expectStatus(r, 201, "slow upload");
      await conn.write(`DELETE ${path} HTTP/1.1\r\nHost: soak\r\nAuthorization: ${c.auth}\r\n\r\n`);
      const d = await conn.readFinal();
      c.record(d.status);
      expectStatus(d, 204, `DELETE ${path}`);
    }),
};

/** Every kind, with its weight in the mix. */
export const KINDS: readonly Kind[] = [
  keepAlive,
  close,
  ranges,
  notFound,
  gzip,
  putDelete,
  chunkedPut,
  upload,
  unauthorized,
  badRequest,
  aborted,
  slowHead,
  slowReader,
  slowUpload,
];

/** Pick a kind by weight. */
export function pickKind(random: () => number): Kind {
  const total = KINDS.reduce((n, k) => n + k.weight, 0);
  let x = random() * total;
  for (const k of KINDS) {
    x -= k.weight;
    if (x < 0) return k;
  }
  return KINDS[KINDS.length - 1]!;
}
