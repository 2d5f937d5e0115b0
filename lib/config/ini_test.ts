import assert from "node:assert/strict";
import fc from "fast-check";
import { quote, scanIni } from "./ini.ts";

Deno.test("scanIni() returns entries with sections and line numbers in file order", () => {
  const doc = scanIni("; c\nB = 2\n\n[S]\n  z = 1 ; note\n[T]\na = 'q;q'\n");
  assert.deepEqual(doc, {
    ok: true,
    sections: [{ name: "S", line: 4 }, { name: "T", line: 6 }],
    entries: [
      { section: null, key: "B", value: "2", line: 2 },
      { section: "S", key: "z", value: "1", line: 5 },
      { section: "T", key: "a", value: "q;q", line: 7 },
    ],
  });
});

Deno.test("scanIni() counts CRLF, CR and LF line ends alike and skips a BOM", () => {
  const doc = scanIni("\uFEFFa=1\r\n\r\nb=2\rc=3\n");
  assert.ok(doc.ok);
  assert.deepEqual(doc.entries.map((e) => [e.key, e.line]), [["a", 1], ["b", 3], ["c", 4]]);
});

Deno.test("scanIni() keeps values that npm:ini would coerce as strings", () => {
  const doc = scanIni("a = true\nb = null\nc =\nd[] = x\n");
  assert.ok(doc.ok);
  assert.deepEqual(doc.entries.map((e) => [e.key, e.value]), [
    ["a", "true"],
    ["b", "null"],
    ["c", ""],
    ["d[]", "x"],
  ]);
});

Deno.test("scanIni() reports the first malformed line", () => {
  assert.deepEqual(scanIni("a=1\nbare\n"), {
    ok: false,
    line: 2,
    message: 'expected "key = value", got "bare"',
  });
  assert.equal(scanIni("=1").ok, false);
  assert.equal(scanIni("[open").ok, false);
  assert.equal(scanIni("[ ]").ok, false);
  assert.equal(scanIni("[a] x").ok, false);
  assert.deepEqual(scanIni("a=\u0000"), {
    ok: false,
    line: 1,
    message: "control character in line",
  });
});

Deno.test("scanIni() never throws", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => {
    scanIni(s);
  }));
});

Deno.test("quote() escapes and shortens", () => {
  assert.equal(quote('a"b'), '"a\\"b"');
  assert.equal(quote("\u0001"), '"\\u0001"');
  assert.equal(quote("x".repeat(100)), `"${"x".repeat(60)}..."`);
});
