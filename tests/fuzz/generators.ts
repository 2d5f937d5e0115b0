/**
 * Generators for the fuzz suite (properties.ts): request heads and chunked bodies built from a
 * model (so the expected parse is known), their wire bytes with random optional whitespace,
 * name case and empty lines, byte-level mutations of them, small limits that inputs hit, and
 * the points where a connection's input is split.
 * @module
 */

import fc from "fast-check";
import type { Limits } from "../../lib/http/limits.ts";

/** One header field as sent: the name's case and the whitespace around the value vary. */
export interface FieldModel {
  readonly name: string;
  readonly value: string;
  readonly lead: string;
  readonly trail: string;
}

/** A request head as a model: what the parser must report for its wire form. */
export interface HeadModel {
  readonly emptyLines: number;
  readonly method: string;
  readonly target: string;
  readonly major: number;
  readonly minor: number;
  readonly fields: readonly FieldModel[];
}

const chars = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
const ALPHA = [...chars(0x41, 0x5a), ...chars(0x61, 0x7a)];
const DIGIT = chars(0x30, 0x39);
/** tchar (RFC 9110 §5.6.2). */
export const TCHARS: readonly string[] = [...ALPHA, ...DIGIT, ..."!#$%&'*+-.^_`|~"];
const VCHARS = chars(0x21, 0x7e);
const OBS_TEXT = chars(0x80, 0xff);

const token = (max: number) =>
  fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: max });
const ows = fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 });

/** A field value: visible characters and obs-text, inner SP/HTAB runs, no outer whitespace. */
export const fieldValue: fc.Arbitrary<string> = fc.array(
  fc.tuple(
    fc.string({
      unit: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...VCHARS) }, {
        weight: 1,
        arbitrary: fc.constantFrom(...OBS_TEXT),
      }),
      minLength: 1,
      maxLength: 16,
    }),
    fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 2 }),
  ),
  { maxLength: 4 },
).map((words) => words.map(([w, s], i) => (i === 0 ? w : s + w)).join(""));

/** A field name in random case. */
const fieldName = fc.oneof(
  fc.constantFrom("Host", "Accept", "User-Agent", "X-Test", "Cookie", "Range", "If-None-Match"),
  token(20),
).chain((n) =>
  fc.array(fc.boolean(), { minLength: n.length, maxLength: n.length }).map((up) =>
    Array.from(n, (c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join("")
  )
);

/** Now and then a value long enough to reach MaxHeaderBytes on its own. */
const longValue = fc.string({ unit: fc.constantFrom(...VCHARS), maxLength: 900, size: "max" });

const fieldModel: fc.Arbitrary<FieldModel> = fc.record({
  name: fieldName,
  value: fc.oneof({ weight: 12, arbitrary: fieldValue }, { weight: 1, arbitrary: longValue }),
  lead: ows,
  trail: ows,
});

/** A request target: origin-form, absolute-form, asterisk-form; sometimes long. */
export const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...VCHARS), maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(...VCHARS), maxLength: 400, size: "max" }),
  },
).chain((path) =>
  fc.constantFrom("/" + path, "http://example.com/" + path, "*").map((t) =>
    t === "*" && path.length > 3 ? "/" + path : t
  )
);

/** Any head the grammar allows (semantics aside: no Host rule, any method token). */
export const headModel: fc.Arbitrary<HeadModel> = fc.record({
  emptyLines: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 2 })),
  method: fc.oneof(fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"), token(10)),
  target,
  major: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, fc.integer({ min: 0, max: 9 })),
  minor: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1) }, fc.integer({ min: 0, max: 9 })),
  fields: fc.oneof(
    { weight: 6, arbitrary: fc.array(fieldModel, { maxLength: 8 }) },
    { weight: 1, arbitrary: fc.array(fieldModel, { maxLength: 40 }) },
  ),
});

/** The request line of a model, without CRLF. */
export function requestLineOf(m: HeadModel): string {
  return `${m.method} ${m.target} HTTP/${m.major}.${m.minor}`;
}

/** The wire form of a head model (latin1 text). */
export function headText(m: HeadModel): string {
  return "\r\n".repeat(m.emptyLines) + requestLineOf(m) + "\r\n" +
    m.fields.map((f) => `${f.name}:${f.lead}${f.value}${f.trail}\r\n`).join("") + "\r\n";
}

/**
 * Limits small enough for generated inputs to reach them, within the ranges http.conf allows
 * (MaxRequestLine >= 64, MaxHeaderBytes >= 256).
 */
export const limits: fc.Arbitrary<Limits> = fc.record({
  maxRequestLine: fc.integer({ min: 64, max: 300 }),
  maxHeaderBytes: fc.integer({ min: 256, max: 2048 }),
  maxHeaderCount: fc.integer({ min: 1, max: 24 }),
  maxBodySize: fc.integer({ min: 0, max: 400 }),
  maxChunkExtension: fc.integer({ min: 0, max: 40 }),
});

/** Bytes worth inserting: framing characters, controls, NBSP, digits, hex letters. */
const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x00, 0x7f, 0xa0, 0xff, 0x3a, 0x3b, 0x2c, 0x30, 0x31];
const someByte = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));

/** One edit of a byte string. */
export type Mutation =
  | { readonly kind: "set" | "insert"; readonly at: number; readonly byte: number }
  | { readonly kind: "delete" | "truncate"; readonly at: number }
  | { readonly kind: "duplicate"; readonly at: number; readonly length: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("set", "insert"), at: fc.nat(), byte: someByte }),
  fc.record({ kind: fc.constantFrom("delete", "truncate"), at: fc.nat() }),
  fc.record({
    kind: fc.constant("duplicate"),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
) as fc.Arbitrary<Mutation>;

/** Apply edits in order (positions are taken modulo the current length). */
export function mutate(bytes: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + (e.kind === "insert" ? 1 : 0));
    if (e.kind === "set" && b.length > 0) b[at] = e.byte;
    else if (e.kind === "insert") b.splice(at, 0, e.byte);
    else if (e.kind === "delete") b.splice(at, 1);
    else if (e.kind === "truncate") b = b.slice(0, at);
    else if (e.kind === "duplicate") b.splice(at, 0, ...b.slice(at, at + e.length));
  }
  return Uint8Array.from(b);
}

/** Where to cut an input into pieces (offsets are taken modulo its length). */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 8 });

/** Cut `bytes` at the given offsets (sorted, deduplicated, modulo the length). */
export function pieces(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const offsets = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of [...offsets, bytes.length]) {
    if (o > prev) out.push(bytes.subarray(prev, o));
    prev = Math.max(prev, o);
  }
  return out;
}

/** A chunked body as a model: chunks with their size spelling, extensions, trailers. */
export interface ChunkedModel {
  readonly chunks: ReadonlyArray<{
    readonly data: Uint8Array;
    readonly zeros: number;
    readonly upper: boolean;
    readonly ext: string;
  }>;
  readonly lastZeros: number;
  readonly lastExt: string;
  readonly trailers: readonly FieldModel[];
}

/** A chunk extension: `;name`, `;name=token`, `;name="quoted"`, with BWS before the `;`. */
const chunkExt = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  fc.tuple(ows, token(8), fc.oneof(fc.constant(""), token(8).map((v) => "=" + v))).map(
    ([bws, n, v]) => `${bws};${n}${v}`,
  ),
  fc.tuple(token(6), fc.string({ unit: fc.constantFrom(...chars(0x23, 0x5b)), maxLength: 10 }))
    .map(([n, v]) => `;${n}="${v}"`),
);

export const chunkedModel: fc.Arbitrary<ChunkedModel> = fc.record({
  chunks: fc.array(
    fc.record({
      data: fc.uint8Array({ minLength: 1, maxLength: 60 }),
      zeros: fc.integer({ min: 0, max: 3 }),
      upper: fc.boolean(),
      ext: chunkExt,
    }),
    { maxLength: 6 },
  ),
  lastZeros: fc.integer({ min: 0, max: 2 }),
  lastExt: chunkExt,
  trailers: fc.array(fieldModel, { maxLength: 3 }),
});

/** The wire bytes of a chunked body. */
export function chunkedBytes(m: ChunkedModel): Uint8Array {
  const out: number[] = [];
  const text = (s: string) => {
    for (const c of s) out.push(c.charCodeAt(0));
  };
  for (const c of m.chunks) {
    const hex = c.data.length.toString(16);
    text("0".repeat(c.zeros) + (c.upper ? hex.toUpperCase() : hex) + c.ext + "\r\n");
    out.push(...c.data);
    text("\r\n");
  }
  text("0".repeat(m.lastZeros + 1) + m.lastExt + "\r\n");
  for (const t of m.trailers) text(`${t.name}:${t.lead}${t.value}${t.trail}\r\n`);
  text("\r\n");
  return Uint8Array.from(out);
}

/** The decoded body of a chunked model. */
export function chunkedData(m: ChunkedModel): Uint8Array {
  return Uint8Array.from(m.chunks.flatMap((c) => Array.from(c.data)));
}

/** Each char code as one byte. */
export function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Each byte as one char code. */
export function text(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}
