import assert from "node:assert/strict";
import fc from "fast-check";
import { FieldList, listHasToken, splitList } from "./headers.ts";
import { trimOws } from "./chars.ts";
import { assertEquals } from "./test_assert.ts";

Deno.test("listHasToken() finds a token among list elements, ignoring case and whitespace", () => {
  assert.equal(listHasToken("close", "close"), true);
  assert.equal(listHasToken("Keep-Alive, CLOSE", "close"), true);
  assert.equal(listHasToken(" ,\tclose\t, ", "close"), true);
  assert.equal(listHasToken("upgrade,close", "close"), true);
  assert.equal(listHasToken("closed", "close"), false);
  assert.equal(listHasToken("enclose", "close"), false);
  assert.equal(listHasToken("clo se", "close"), false);
  assert.equal(listHasToken("", "close"), false);
  assert.equal(listHasToken(",,,", "close"), false);
});

Deno.test("listHasToken() agrees with splitting the list (property)", () => {
  const piece = fc.constantFrom("close", "Close", "keep-alive", "x", " ", "\t", ",", "clos", "e");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), fc.constantFrom("close", "keep-alive"), (
      parts,
      token,
    ) => {
      const value = parts.join("");
      const want = splitList(value).some((t) => t.toLowerCase() === token);
      assert.equal(listHasToken(value, token), want);
    }),
  );
});

Deno.test("FieldList.hasToken() looks through every field of that name", () => {
  const f = new FieldList();
  f.add("connection", "keep-alive");
  f.add("x", "close");
  assert.equal(f.hasToken("connection", "close"), false);
  f.add("connection", "Upgrade, Close");
  assert.equal(f.hasToken("connection", "close"), true);
});

Deno.test("splitList() and trimOws() remove SP and HTAB only, never NBSP or other Unicode spaces", () => {
  assertEquals(splitList(" gzip ,\tchunked\t, ,"), ["gzip", "chunked"]);
  assertEquals(splitList("chunked\xa0"), ["chunked\xa0"]);
  assertEquals(splitList("\xa0,chunked"), ["\xa0", "chunked"]);
  assertEquals(trimOws("\xa0x\xa0"), "\xa0x\xa0");
  assertEquals(trimOws("\u2003x\u00a0\ufeff"), "\u2003x\u00a0\ufeff");
  assertEquals(trimOws(" \t x \t "), "x");
  assertEquals(trimOws(""), "");
});
