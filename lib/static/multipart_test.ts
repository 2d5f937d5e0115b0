import assert from "node:assert/strict";
import fc from "fast-check";
import { type MultipartPlan, newBoundary, planMultipart } from "./multipart.ts";
import type { ByteRange } from "./range.ts";

/** A representation whose bytes encode their own offsets (nginx range.t style). */
function fixture(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = 0x30 + (i % 10);
  return out;
}

/** Writes the body the way a body writer would: head, slice, ..., tail. */
function assemble(plan: MultipartPlan, data: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of plan.parts) {
    chunks.push(p.head, data.subarray(p.range.start, p.range.end + 1));
  }
  chunks.push(plan.tail);
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

interface ParsedPart {
  headers: Record<string, string>;
  body: string;
}

/** A small independent multipart parser (RFC 2046 §5.1.1) for the round trip. */
function parseMultipart(body: string, boundary: string): ParsedPart[] {
  const delimiter = `\r\n--${boundary}`;
  assert.ok(body.startsWith(delimiter + "\r\n"), "body starts with the first delimiter");
  assert.ok(body.endsWith(`${delimiter}--\r\n`), "body ends with the close-delimiter");
  const inner = body.slice(0, body.length - `${delimiter}--\r\n`.length);
  return inner.split(delimiter).slice(1).map((chunk) => {
    assert.ok(chunk.startsWith("\r\n"));
    const sep = chunk.indexOf("\r\n\r\n");
    const headers: Record<string, string> = {};
    for (const line of chunk.slice(2, sep).split("\r\n")) {
      if (line === "") continue;
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { headers, body: chunk.slice(sep + 4) };
  });
}

Deno.test("planMultipart() lays out parts exactly as RFC 9110 §14.6 shows", () => {
  const ranges = [{ start: 0, end: 1 }, { start: 8, end: 9 }];
  const plan = planMultipart(ranges, 10, "text/plain", "B");
  const want = "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01" +
    "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n89" +
    "\r\n--B--\r\n";
  const body = assemble(plan, fixture(10));
  assert.equal(latin1(body), want);
  assert.equal(plan.contentLength, want.length);
  assert.equal(plan.contentLength, 141);
  assert.equal(plan.contentType, "multipart/byteranges; boundary=B");
  assert.equal(plan.boundary, "B");
  assert.deepEqual(plan.parts.map((p) => p.range), ranges);
});

Deno.test("planMultipart() leaves out the part Content-Type when the type is empty", () => {
  const plan = planMultipart([{ start: 2, end: 2 }, { start: 4, end: 4 }], 5, "", "xyz");
  assert.equal(
    latin1(assemble(plan, fixture(5))),
    "\r\n--xyz\r\nContent-Range: bytes 2-2/5\r\n\r\n2" +
      "\r\n--xyz\r\nContent-Range: bytes 4-4/5\r\n\r\n4\r\n--xyz--\r\n",
  );
});

Deno.test("planMultipart() content length equals the assembled body and parses back", () => {
  const size = 10000;
  const data = fixture(size);
  const ranges = [{ start: 0, end: 499 }, { start: 9500, end: 9999 }, { start: 4000, end: 4000 }];
  const boundary = newBoundary();
  const plan = planMultipart(ranges, size, "text/html; charset=utf-8", boundary);
  const body = assemble(plan, data);
  assert.equal(body.length, plan.contentLength);
  const parts = parseMultipart(latin1(body), boundary);
  assert.equal(parts.length, ranges.length);
  parts.forEach((part, i) => {
    const r = ranges[i]!;
    assert.equal(part.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(part.headers["content-range"], `bytes ${r.start}-${r.end}/${size}`);
    assert.equal(part.body, latin1(data.subarray(r.start, r.end + 1)));
  });
});

Deno.test("planMultipart() content length is exact for random ranges", () => {
  const arb = fc.integer({ min: 1, max: 5000 }).chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(
        fc.tuple(fc.nat(size - 1), fc.nat(size - 1)).map(([a, b]): ByteRange => ({
          start: Math.min(a, b),
          end: Math.max(a, b),
        })),
        { minLength: 1, maxLength: 6 },
      ),
    )
  );
  fc.assert(
    fc.property(arb, ([size, ranges]) => {
      const data = fixture(size);
      const plan = planMultipart(ranges, size, "application/octet-stream", "b0undary");
      const body = assemble(plan, data);
      assert.equal(body.length, plan.contentLength);
      const parts = parseMultipart(latin1(body), "b0undary");
      assert.equal(parts.length, ranges.length);
    }),
    { numRuns: 300 },
  );
});

Deno.test("planMultipart() writes obs-text in the part type byte for byte", () => {
  const plan = planMultipart([{ start: 0, end: 0 }], 1, "text/x-\u00e9", "B");
  assert.ok(plan.parts[0]!.head.includes(0xe9));
  assert.equal(assemble(plan, fixture(1)).length, plan.contentLength);
});

Deno.test("planMultipart() throws TypeError for an unsafe boundary or part type", () => {
  const r = [{ start: 0, end: 0 }];
  for (const b of ["", "a b", "a\r\nb", 'a"b', "a;b", "x".repeat(71), "\u00e9"]) {
    assert.throws(() => planMultipart(r, 1, "text/plain", b), TypeError, JSON.stringify(b));
  }
  assert.ok(planMultipart(r, 1, "text/plain", "x".repeat(70)));
  for (const t of ["text/plain\r\nSet-Cookie: a=b", "a\nb", "a\0b", "a\u0100"]) {
    assert.throws(() => planMultipart(r, 1, t, "B"), TypeError, JSON.stringify(t));
  }
});

Deno.test("planMultipart() throws RangeError for no ranges or a range outside the size", () => {
  assert.throws(() => planMultipart([], 10, "text/plain", "B"), RangeError);
  const bad: ByteRange[] = [
    { start: 0, end: 10 },
    { start: -1, end: 2 },
    { start: 5, end: 4 },
    { start: 0.5, end: 1 },
  ];
  for (const r of bad) {
    assert.throws(() => planMultipart([r], 10, "text/plain", "B"), RangeError, JSON.stringify(r));
  }
});

Deno.test("newBoundary() returns 32 hex digits that planMultipart() accepts", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const b = newBoundary();
    assert.match(b, /^[0-9a-f]{32}$/);
    seen.add(b);
    planMultipart([{ start: 0, end: 0 }], 1, "text/plain", b);
  }
  assert.equal(seen.size, 100);
});

Deno.test("assembleMultipart() lays out parts from memory exactly as planned", async () => {
  const { assembleMultipart } = await import("./get.ts");
  const data = new TextEncoder().encode("0123456789abcdefghij");
  const mp = planMultipart(
    [{ start: 0, end: 2 }, { start: 10, end: 12 }],
    data.length,
    "text/plain",
    "BOUND",
  );
  const body = new TextDecoder().decode(assembleMultipart(mp, data));
  assert.equal(body.length, mp.contentLength);
  assert.ok(body.includes("\r\n\r\n012\r\n--BOUND"));
  assert.ok(body.includes("Content-Range: bytes 10-12/20\r\n\r\nabc\r\n--BOUND--\r\n"));
});
