/**
 * The fuzz suite's properties, shared by the CI test (fuzz_test.ts, a fixed number of runs
 * each) and `deno task fuzz` (fuzz.ts, as many runs as fit in the time given). Each property
 * states what holds for every input:
 *
 * - the request parser answers a generated head exactly as its model says (fields, or the
 *   first limit it meets), at every split point, byte by byte and when fed a reused buffer;
 * - mutated heads never make it throw, get the same answer at every split, stay within the
 *   limits, and an accepted one re-serialises to an equivalent request (same head, same
 *   framing decision);
 * - the chunked decoder likewise, with the data decoded equal to the model's and re-encoding
 *   a decoded body giving it back;
 * - a connection over an in-memory transport answers a generated pipeline with the exact
 *   transcript the model predicts, however its input is split and its writes cut short, and
 *   for mutated input gives the same transcript and access-log statuses for any split, with
 *   well-formed responses, one log record per response, no handler fault and a read buffer
 *   within its bound.
 * @module
 */

import fc from "fast-check";
import { ChunkedDecoder, type ChunkLimits } from "../../lib/http/chunked_decoder.ts";
import { checkHead } from "../../lib/http/framing.ts";
import type { Limits } from "../../lib/http/limits.ts";
import type { RequestHead } from "../../lib/http/request_parser.ts";
import { encodeChunk, LAST_CHUNK } from "../../lib/http/response_head.ts";
import { feedPieces, scan, summary, TEST_LIMITS } from "../../lib/http/test_scan.ts";
import type { AccessRecord } from "../../lib/log/access_log.ts";
import { testSettings } from "../../lib/server/test_settings.ts";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionSettings,
} from "../../lib/server/connection.ts";
import type { ResponsePlan } from "../../lib/static/plan.ts";
import { concatBytes } from "../../lib/util/bytes.ts";
import {
  chunkedBytes,
  chunkedData,
  type ChunkedModel,
  chunkedModel,
  cuts,
  fieldValue,
  type HeadModel,
  headModel,
  headText,
  latin1,
  limits,
  mutate,
  mutation,
  pieces,
  requestLineOf,
  TCHARS,
  text,
} from "./generators.ts";
import { MemoryTransport } from "./memory_transport.ts";

/** A named property and how many runs CI gives it. */
export interface FuzzProperty {
  readonly name: string;
  readonly ciRuns: number;
  readonly property: fc.IRawProperty<unknown, boolean>;
}

// ---- Request parser ------------------------------------------------------------------------

/** What the parser must answer for a head model under `lim` (test_scan's summary form). */
export function expectedHead(m: HeadModel, lim: Limits): string {
  const s = 2 * m.emptyLines;
  const line = requestLineOf(m);
  const L = line.length;
  const starts: number[] = [];
  let at = s + L + 2;
  for (const f of m.fields) {
    starts.push(at);
    at += f.name.length + 1 + f.lead.length + f.value.length + f.trail.length + 2;
  }
  const total = at + 2;
  // Each event happens at the byte that reveals it; the first one before MaxHeaderBytes wins.
  const events: Array<[number, string]> = [[total - 1, "head"]];
  if (L > lim.maxRequestLine) events.push([s + lim.maxRequestLine, "error:request-line-too-long"]);
  if (m.fields.length > lim.maxHeaderCount) {
    events.push([starts[lim.maxHeaderCount]!, "error:too-many-headers"]);
  }
  events.sort((a, b) => a[0] - b[0]);
  const [pos, what] = events[0]!;
  if (pos >= lim.maxHeaderBytes) {
    return lim.maxHeaderBytes < s + L ? "error:request-line-too-long" : "error:headers-too-large";
  }
  if (what !== "head") return what;
  const fields = m.fields.map((f) => `${f.name.toLowerCase()}=${JSON.stringify(f.value)}`);
  return `head:${m.method} ${m.target} ${m.major}.${m.minor} [${fields.join(";")}] +${total}`;
}

/** A parsed head written out canonically: no empty lines, no optional whitespace. */
export function canonicalHead(h: RequestHead): Uint8Array {
  let s = `${h.method} ${h.target} HTTP/${h.versionMajor}.${h.versionMinor}\r\n`;
  for (let i = 0; i < h.headers.size; i++) s += `${h.headers.names[i]}: ${h.headers.values[i]}\r\n`;
  return latin1(s + "\r\n");
}

/** Parse `bytes` at every split; check limits; an accepted head must round-trip. */
function checkParsed(bytes: Uint8Array, lim: Limits): string {
  const got = scan(bytes, lim); // throws when two splits disagree
  const r = feedPieces([bytes], lim);
  if (r.kind !== "head") return got;
  const h = r.head;
  assert(r.consumed <= lim.maxHeaderBytes, `consumed ${r.consumed} > MaxHeaderBytes`);
  assert(h.headers.size <= lim.maxHeaderCount, `${h.headers.size} fields > MaxHeaderCount`);
  const lineLength = h.method.length + h.target.length + 10;
  assert(lineLength <= lim.maxRequestLine, `request line ${lineLength} > MaxRequestLine`);
  const again = feedPieces([canonicalHead(h)], lim);
  const strip = (x: string) => x.replace(/ \+\d+$/, "");
  assertSame(strip(summary(again)), strip(got), "re-serialised head");
  if (again.kind === "head") {
    assertSame(
      JSON.stringify(checkHead(again.head, lim.maxBodySize)),
      JSON.stringify(checkHead(h, lim.maxBodySize)),
      "framing decision of the re-serialised head",
    );
  }
  return got;
}

const anyLimits = fc.oneof(limits, fc.constant(TEST_LIMITS));

const parserModel: FuzzProperty = {
  name: "parser-model",
  ciRuns: 300,
  property: fc.property(headModel, anyLimits, (m, lim) => {
    assertSame(checkParsed(latin1(headText(m)), lim), expectedHead(m, lim), "parse");
    return true;
  }),
};

const parserMutated: FuzzProperty = {
  name: "parser-mutated",
  ciRuns: 400,
  property: fc.property(
    headModel,
    fc.array(mutation, { minLength: 1, maxLength: 5 }),
    anyLimits,
    (m, edits, lim) => {
      checkParsed(mutate(latin1(headText(m)), edits), lim);
      return true;
    },
  ),
};

// ---- Chunked decoder -----------------------------------------------------------------------

/**
 * Decode pieces as a connection does. The answer as JSON, unambiguous whatever bytes the data
 * holds: ["done", data, rest], ["error", code] or ["more", data].
 */
export function decodeChunked(parts: Uint8Array[], lim: ChunkLimits): string {
  const d = new ChunkedDecoder(lim);
  let buf = new Uint8Array(0);
  let pos = 0;
  let data = "";
  for (const [k, piece] of parts.entries()) {
    const next = new Uint8Array(buf.length + piece.length);
    next.set(buf);
    next.set(piece, buf.length);
    buf = next;
    for (;;) {
      const s = d.step(buf, pos);
      if (s.kind === "error") return chunkedAnswer("error", s.code);
      if (s.kind === "data") {
        data += text(buf.subarray(s.start, s.end));
        assert(d.total <= lim.maxBodySize, `decoded ${d.total} > MaxBodySize`);
        pos = s.end;
        continue;
      }
      pos = s.consumed;
      if (s.kind === "done") {
        const rest = [buf.subarray(pos), ...parts.slice(k + 1)].map(text).join("");
        return chunkedAnswer("done", data, rest);
      }
      break;
    }
  }
  return chunkedAnswer("more", data);
}

function chunkedAnswer(kind: "done" | "error" | "more", ...parts: string[]): string {
  return JSON.stringify([kind, ...parts]);
}

/** The same answer whole, at every split and byte by byte. */
function scanChunked(bytes: Uint8Array, lim: ChunkLimits): string {
  const whole = decodeChunked([bytes], lim);
  for (let i = 1; i < bytes.length; i++) {
    assertSame(decodeChunked([bytes.subarray(0, i), bytes.subarray(i)], lim), whole, `split ${i}`);
  }
  assertSame(decodeChunked(Array.from(bytes, (b) => Uint8Array.of(b)), lim), whole, "bytewise");
  return whole;
}

/** What the decoder must answer for a model followed by `rest`. */
export function expectedChunked(m: ChunkedModel, lim: ChunkLimits, rest: string): string {
  const extLength = (ext: string) => (ext.includes(";") ? ext.length - ext.indexOf(";") - 1 : 0);
  let total = 0;
  let data = "";
  for (const c of m.chunks) {
    if (extLength(c.ext) > lim.maxChunkExtension) {
      return chunkedAnswer("error", "chunk-extension-too-long");
    }
    if (total + c.data.length > lim.maxBodySize) return chunkedAnswer("error", "body-too-large");
    total += c.data.length;
    data += text(c.data);
  }
  if (extLength(m.lastExt) > lim.maxChunkExtension) {
    return chunkedAnswer("error", "chunk-extension-too-long");
  }
  const trailerBytes = m.trailers.reduce(
    (n, t) => n + t.name.length + 1 + t.lead.length + t.value.length + t.trail.length,
    0,
  );
  if (trailerBytes > lim.maxHeaderBytes) return chunkedAnswer("error", "trailers-too-large");
  return chunkedAnswer("done", data, rest);
}

const chunkLimits: fc.Arbitrary<ChunkLimits> = fc.oneof(
  limits.map((l) => ({ ...l, maxHeaderBytes: l.maxHeaderBytes % 200 })),
  fc.constant(TEST_LIMITS),
);

const chunkedModelProperty: FuzzProperty = {
  name: "chunked-model",
  ciRuns: 300,
  property: fc.property(chunkedModel, chunkLimits, (m, lim) => {
    const wire = Uint8Array.from([...chunkedBytes(m), ...latin1("NEXT")]);
    assertSame(scanChunked(wire, lim), expectedChunked(m, lim, "NEXT"), "decode");
    return true;
  }),
};

const chunkedMutated: FuzzProperty = {
  name: "chunked-mutated",
  ciRuns: 300,
  property: fc.property(
    chunkedModel,
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
    chunkLimits,
    (m, edits, lim) => {
      const got = scanChunked(mutate(chunkedBytes(m), edits), lim);
      const [kind, decoded] = JSON.parse(got) as [string, string];
      if (kind === "done") {
        // A body it accepts, chunked again our way, decodes to the same bytes.
        const data = latin1(decoded);
        const again = data.length === 0
          ? LAST_CHUNK
          : Uint8Array.from([...encodeChunk(data), ...LAST_CHUNK]);
        assertSame(
          decodeChunked([again], lim),
          chunkedAnswer("done", decoded, ""),
          "re-encoded body",
        );
      }
      return true;
    },
  ),
};

// ---- Connection ----------------------------------------------------------------------------

const DATE = "Thu, 01 Jan 1970 00:00:00 GMT";
/** The read buffer's ceiling for bodies (connection.ts MAX_BODY_BUFFER). */
const BODY_BUFFER = 65536;

/** One request of a pipeline the connection must answer in full. */
export interface ExchangeModel {
  readonly method: string;
  readonly target: string;
  readonly minor: 0 | 1;
  readonly host: string | null;
  readonly connection: "" | "close" | "keep-alive";
  readonly expect: boolean;
  readonly body: null | { readonly kind: "length"; readonly data: Uint8Array } | {
    readonly kind: "chunked";
    readonly chunked: ChunkedModel;
  };
  readonly extra: ReadonlyArray<readonly [string, string]>;
}

export const exchange: fc.Arbitrary<ExchangeModel> = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS"),
  target: fc.string({ unit: fc.constantFrom(...TCHARS, "/", "?", "=", "%"), maxLength: 30 }).map(
    (p) => "/" + p,
  ),
  minor: fc.oneof({ weight: 3, arbitrary: fc.constant(1 as const) }, fc.constant(0 as const)),
  host: fc.constantFrom("example.com", "a.b:8080", "[::1]:80", "localhost"),
  hostless: fc.boolean(),
  connection: fc.constantFrom("" as const, "" as const, "close" as const, "keep-alive" as const),
  expect: fc.boolean(),
  body: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((data) => ({
      kind: "length" as const,
      data,
    })),
    chunkedModel.map((chunked) => ({ kind: "chunked" as const, chunked })),
  ),
  extra: fc.array(
    fc.tuple(
      fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 }).map((n) =>
        "X-" + n
      ),
      fieldValue,
    ),
    { maxLength: 3 },
  ),
}).map(({ hostless, ...e }) => ({
  ...e,
  // HTTP/1.0 carries no chunked body (RFC 9112 §6.1) and need not send Host.
  body: e.minor === 0 && e.body?.kind === "chunked" ? null : e.body,
  host: e.minor === 0 && hostless ? null : e.host,
}));

/** The wire form of one exchange's request. */
export function requestBytes(e: ExchangeModel): Uint8Array {
  let head = `${e.method} ${e.target} HTTP/1.${e.minor}\r\n`;
  if (e.host !== null) head += `Host: ${e.host}\r\n`;
  for (const [n, v] of e.extra) head += `${n}: ${v}\r\n`;
  if (e.connection !== "") head += `Connection: ${e.connection}\r\n`;
  if (e.expect && e.body !== null) head += "Expect: 100-continue\r\n";
  if (e.body?.kind === "length") head += `Content-Length: ${e.body.data.length}\r\n`;
  if (e.body?.kind === "chunked") head += "Transfer-Encoding: chunked\r\n";
  const body = e.body === null
    ? []
    : e.body.kind === "length"
    ? Array.from(e.body.data)
    : Array.from(chunkedBytes(e.body.chunked));
  return Uint8Array.from([...latin1(head + "\r\n"), ...body]);
}

function bodyData(e: ExchangeModel): Uint8Array {
  if (e.body === null) return new Uint8Array(0);
  return e.body.kind === "length" ? e.body.data : chunkedData(e.body.chunked);
}

/** The echo the test handler answers with: "METHOD TARGET[ body]" as latin1. */
function echo(method: string, target: string, body: Uint8Array): Uint8Array {
  return latin1(`${method} ${target}${body.length === 0 ? "" : " " + text(body)}`);
}

/** The exact bytes a connection must write for a pipeline of valid exchanges. */
export function expectedTranscript(exchanges: readonly ExchangeModel[], maxRequests: number) {
  let out = "";
  for (let i = 0; i < exchanges.length; i++) {
    const e = exchanges[i]!;
    if (e.expect && e.body !== null && e.minor === 1) out += "HTTP/1.1 100 Continue\r\n\r\n";
    const body = echo(e.method, e.target, bodyData(e));
    const wants = e.connection !== "close" && (e.minor === 1 || e.connection === "keep-alive");
    const keep = wants && (maxRequests === 0 || i + 1 < maxRequests);
    const framing = !keep
      ? "Connection: close\r\n"
      : e.minor === 0
      ? "Connection: keep-alive\r\n"
      : "";
    out +=
      `HTTP/1.1 200 OK\r\nServer: test\r\nDate: ${DATE}\r\nContent-Length: ${body.length}\r\n` +
      `${framing}\r\n${text(body)}`;
    if (!keep) break;
  }
  return out;
}

function bytesPlan(status: number, body: Uint8Array): ResponsePlan {
  return {
    status,
    fields: [["Content-Length", String(body.length)]],
    body: { kind: "bytes", data: body },
  };
}

/** What one run of a connection produced. */
export interface Conversation {
  readonly out: string;
  readonly statuses: number[];
  readonly crit: string[];
  readonly maxBuffer: number;
  readonly maxBody: number;
}

/** Run a connection over `input` cut into pieces, with writes cut to `maxWrite` bytes. */
export async function converse(
  input: Uint8Array[],
  settings: ConnectionSettings,
  maxWrite: number,
): Promise<Conversation> {
  const t = new MemoryTransport(input, maxWrite);
  const log: AccessRecord[] = [];
  const crit: string[] = [];
  let maxBody = 0;
  const hooks: ConnectionHooks = {
    async handle(req) {
      const parts: Uint8Array[] = [];
      if (req.body !== null) { for await (const c of req.body) parts.push(c.slice()); }
      const body = concatBytes(parts);
      maxBody = Math.max(maxBody, body.length);
      return bytesPlan(200, echo(req.method, req.target, body));
    },
    errorPlan: (status) => bytesPlan(status, latin1(`error ${status}`)),
    date: () => DATE,
    access: (r) => log.push(r),
    error: (level, message) => {
      if (level === "crit" || level === "error") crit.push(message);
    },
    draining: () => false,
  };
  await new Connection(t, { ip: "10.0.0.1", port: 5 }, settings, hooks).run();
  assert(t.closed, "the connection closed its transport");
  return {
    out: t.output(),
    statuses: log.map((r) => r.status),
    crit,
    maxBuffer: t.maxBuffer,
    maxBody,
  };
}

/** Split a transcript into its responses by Content-Length; throws when one is malformed. */
export function responseStatuses(out: string): number[] {
  const statuses: number[] = [];
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf("\r\n\r\n", at);
    assert(end >= 0, `incomplete response head at ${at}`);
    const head = out.slice(at, end);
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]+/.exec(head);
    assert(m !== null, `bad status line at ${at}`);
    const status = Number(m[1]);
    at = end + 4;
    if (status === 100) continue;
    const cl = /\r\nContent-Length: (\d+)(\r\n|$)/.exec(head);
    assert(cl !== null, `response at ${at} has no Content-Length`);
    at += Number(cl[1]);
    assert(at <= out.length, "response body cut short");
    statuses.push(status);
  }
  return statuses;
}

const SETTINGS: ConnectionSettings = testSettings(400);

function withinBounds(c: Conversation, s: ConnectionSettings): void {
  const bound = Math.max(s.limits.maxHeaderBytes, BODY_BUFFER);
  assert(c.maxBuffer <= bound, `read buffer grew to ${c.maxBuffer} > ${bound}`);
  assert(c.maxBody <= s.limits.maxBodySize, `handler got ${c.maxBody} body bytes`);
  assert(c.crit.length === 0, `handler fault: ${c.crit.join("; ")}`);
  assertSame(JSON.stringify(responseStatuses(c.out)), JSON.stringify(c.statuses), "log records");
}

const pipeline = fc.array(exchange, { minLength: 1, maxLength: 6 });
const writeSize = fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 64 }));

const connectionModel: FuzzProperty = {
  name: "connection-model",
  ciRuns: 150,
  property: fc.asyncProperty(
    pipeline,
    fc.constantFrom(0, 1, 2, 3, 5),
    cuts,
    writeSize,
    async (exchanges, maxRequests, at, maxWrite) => {
      const s = { ...SETTINGS, maxRequestsPerConnection: maxRequests };
      const input = Uint8Array.from(exchanges.flatMap((e) => Array.from(requestBytes(e))));
      const c = await converse(pieces(input, at), s, maxWrite);
      withinBounds(c, s);
      assertSame(c.out, expectedTranscript(exchanges, maxRequests), "transcript");
      return true;
    },
  ),
} as FuzzProperty;

const connectionMutated: FuzzProperty = {
  name: "connection-mutated",
  ciRuns: 200,
  property: fc.asyncProperty(
    pipeline,
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
    limits,
    cuts,
    writeSize,
    async (exchanges, edits, lim, at, maxWrite) => {
      const s = { ...SETTINGS, limits: lim };
      const input = mutate(
        Uint8Array.from(exchanges.flatMap((e) => Array.from(requestBytes(e)))),
        edits,
      );
      const whole = await converse([input], s, Infinity);
      withinBounds(whole, s);
      const split = await converse(pieces(input, at), s, maxWrite);
      const bytewise = await converse(Array.from(input, (b) => Uint8Array.of(b)), s, 7);
      for (const [name, other] of [["split", split], ["byte by byte", bytewise]] as const) {
        withinBounds(other, s);
        assertSame(other.out, whole.out, `${name} transcript`);
        assertSame(JSON.stringify(other.statuses), JSON.stringify(whole.statuses), name);
      }
      return true;
    },
  ),
} as FuzzProperty;

/**
 * Heads and bodies around the limits, up to a few hundred KiB: the status is the model's
 * (431 past MaxHeaderBytes, 413 past MaxBodySize, else 200) and the read buffer never grows
 * beyond the larger of MaxHeaderBytes and the body buffer, however the input arrives.
 */
const connectionLimits: FuzzProperty = {
  name: "connection-limits",
  ciRuns: 60,
  property: fc.asyncProperty(
    fc.record({
      maxHeaderBytes: fc.integer({ min: 256, max: 200_000 }),
      fieldLength: fc.integer({ min: 0, max: 300_000 }),
      maxBodySize: fc.integer({ min: 0, max: 100_000 }),
      bodyLength: fc.integer({ min: 0, max: 100_000 }),
    }),
    cuts,
    writeSize,
    async (c, at, maxWrite) => {
      const s = {
        ...SETTINGS,
        limits: {
          ...SETTINGS.limits,
          maxHeaderBytes: c.maxHeaderBytes,
          maxBodySize: c.maxBodySize,
        },
      };
      const head = latin1(
        `PUT / HTTP/1.1\r\nHost: a\r\nX: ${"v".repeat(c.fieldLength)}\r\n` +
          `Content-Length: ${c.bodyLength}\r\n\r\n`,
      );
      const input = new Uint8Array(head.length + c.bodyLength).fill(0x62);
      input.set(head);
      const got = await converse(pieces(input, at), s, maxWrite);
      withinBounds(got, s);
      const status = head.length > c.maxHeaderBytes
        ? 431
        : c.bodyLength > c.maxBodySize
        ? 413
        : 200;
      assertSame(JSON.stringify(got.statuses), JSON.stringify([status]), "status");
      return true;
    },
  ),
} as FuzzProperty;

/** Every property, in the order the task runs them. */
export const PROPERTIES: readonly FuzzProperty[] = [
  parserModel,
  parserMutated,
  chunkedModelProperty,
  chunkedMutated,
  connectionModel,
  connectionMutated,
  connectionLimits,
] as FuzzProperty[];

function assert(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

function assertSame(actual: string, expected: string, what: string): void {
  if (actual !== expected) {
    throw new Error(
      `${what}:\n  got      ${JSON.stringify(actual).slice(0, 600)}\n  expected ${
        JSON.stringify(expected).slice(0, 600)
      }`,
    );
  }
}
