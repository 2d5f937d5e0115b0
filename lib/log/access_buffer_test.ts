import assert from "node:assert/strict";
import fc from "fast-check";
import { AccessLineBuffer } from "./access_buffer.ts";
import { type AccessRecord, formatAccessLine } from "./access_log.ts";
import { APACHE_EXAMPLE } from "./test_support.ts";

const latin1 = new TextDecoder("latin1");

const base = APACHE_EXAMPLE;

Deno.test("AccessLineBuffer holds formatAccessLine's lines as ASCII bytes, in order", () => {
  const b = new AccessLineBuffer(1024);
  assert.equal(b.take(), null, "nothing appended");
  const records: AccessRecord[] = [
    base,
    base, // the same line again: the remembered client, time and tail bytes
    { ...base, timeMs: base.timeMs + 1000, status: 304, bytes: 0 },
    { ...base, client: "2001:db8::1", user: 'bo"b\n', requestLine: "GET /caf\u00e9 HTTP/1.1" },
    { ...base, requestLine: null, referer: undefined, userAgent: "\x00\x7f\u0100" },
  ];
  for (const r of records) b.append(r);
  const out = b.take()!;
  for (const byte of out) assert.ok(byte < 0x80, `byte ${byte} is not ASCII`);
  assert.equal(latin1.decode(out), records.map((r) => formatAccessLine(r) + "\n").join(""));
  assert.equal(b.length, 0);
  assert.equal(b.take(), null, "take() starts a new buffer");
});

Deno.test("AccessLineBuffer grows for a line longer than its buffer and keeps the lines before", () => {
  const b = new AccessLineBuffer(1024);
  const long = { ...base, userAgent: "x".repeat(5000) };
  b.append(base);
  b.append(long);
  b.append(base);
  const want = [base, long, base].map((r) => formatAccessLine(r) + "\n").join("");
  assert.equal(b.length, want.length);
  assert.equal(latin1.decode(b.take()!), want);
});

Deno.test("AccessLineBuffer matches formatAccessLine for any record (property)", () => {
  const text = fc.string({ unit: "binary", maxLength: 40 });
  const record = fc.record({
    client: fc.oneof(fc.ipV4(), fc.ipV6()),
    user: fc.option(text, { nil: null }),
    timeMs: fc.integer({ min: 0, max: 4102444800000 }),
    requestLine: fc.option(text, { nil: null }),
    status: fc.integer({ min: 100, max: 599 }),
    bytes: fc.nat(),
    referer: fc.option(text, { nil: undefined }),
    userAgent: fc.option(text, { nil: undefined }),
    scheme: fc.constantFrom(null, "http", "https"),
  });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (records) => {
      const b = new AccessLineBuffer(1024);
      for (const r of records) b.append(r);
      const out = b.take()!;
      assert.ok(out.every((byte) => byte < 0x80));
      assert.equal(latin1.decode(out), records.map((r) => formatAccessLine(r) + "\n").join(""));
    }),
  );
});

Deno.test("AccessLineBuffer.drainTo() hands over the lines and forgets them, even when the write throws", () => {
  const b = new AccessLineBuffer(1024);
  const got: string[] = [];
  b.drainTo((l) => got.push(latin1.decode(l)));
  assert.equal(got.length, 0, "nothing to hand over");
  b.append(base);
  b.drainTo((l) => got.push(latin1.decode(l)));
  assert.deepEqual(got, [formatAccessLine(base) + "\n"]);
  assert.equal(b.length, 0);
  b.append(base);
  assert.throws(() =>
    b.drainTo(() => {
      throw new Error("No space left on device");
    })
  );
  assert.equal(b.length, 0, "a line that could not be written is dropped");
});
