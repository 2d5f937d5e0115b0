import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type EntityTag,
  makeETag,
  parseETag,
  parseETagList,
  strongMatch,
  weakMatch,
} from "./etag.ts";

const strong = (tag: string): EntityTag => ({ weak: false, tag });
const weak = (tag: string): EntityTag => ({ weak: true, tag });

Deno.test("makeETag() joins hex inode, size and mtime in quotes", () => {
  assert.equal(makeETag({ size: 1000, mtimeMs: 1700000000000, ino: 42 }), '"2a-3e8-18bcfe56800"');
});

Deno.test("makeETag() leaves out the inode when there is none", () => {
  assert.equal(makeETag({ size: 0, mtimeMs: 0, ino: null }), '"0-0"');
});

Deno.test("makeETag() floors fractional mtimes", () => {
  assert.equal(makeETag({ size: 1, mtimeMs: 15.9, ino: null }), '"1-f"');
});

Deno.test("makeETag() appends the content coding inside the quotes", () => {
  const f = { size: 255, mtimeMs: 256, ino: 1 };
  assert.equal(makeETag(f, "br"), '"1-ff-100-br"');
  assert.equal(makeETag(f, "gzip"), '"1-ff-100-gzip"');
  assert.equal(makeETag(f, "GZIP"), '"1-ff-100-gzip"');
});

Deno.test("makeETag() throws TypeError for a content coding that is not a token", () => {
  const f = { size: 1, mtimeMs: 1, ino: 1 };
  assert.throws(() => makeETag(f, ""), TypeError);
  assert.throws(() => makeETag(f, 'br"'), TypeError);
  assert.throws(() => makeETag(f, "br, gzip"), TypeError);
});

Deno.test("makeETag() differs when size, mtime, inode or coding differ", () => {
  const base = { size: 10, mtimeMs: 1000, ino: 7 };
  const all = new Set([
    makeETag(base),
    makeETag({ ...base, size: 11 }),
    makeETag({ ...base, mtimeMs: 1001 }),
    makeETag({ ...base, ino: 8 }),
    makeETag(base, "br"),
    makeETag(base, "gzip"),
  ]);
  assert.equal(all.size, 6);
});

Deno.test("makeETag() output always parses as one strong entity-tag", () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.integer({ min: -1e13, max: 1e13 }),
      fc.option(fc.nat()),
      (size, mtimeMs, ino) => {
        const e = parseETag(makeETag({ size, mtimeMs, ino }));
        assert.ok(e !== null && !e.weak);
      },
    ),
  );
});

Deno.test("parseETag() parses exactly one strong or weak entity-tag", () => {
  assert.deepEqual(parseETag('"xyzzy"'), strong("xyzzy"));
  assert.deepEqual(parseETag('W/"xyzzy"'), weak("xyzzy"));
  assert.deepEqual(parseETag('""'), strong(""));
  assert.deepEqual(parseETag('"a,b"'), strong("a,b"));
  assert.deepEqual(parseETag('"\u00e9"'), strong("\u00e9"));
  for (const bad of ["", "xyzzy", '"xyzzy', 'xyzzy"', 'w/"x"', 'W/ "x"', '"x" ', ' "x"', '"a b"']) {
    assert.equal(parseETag(bad), null, bad);
  }
  assert.equal(parseETag('"\u0100"'), null);
  assert.equal(parseETag('"\x7f"'), null);
});

Deno.test("parseETagList() parses the RFC 9110 §13.1.1 examples", () => {
  assert.deepEqual(parseETagList('"xyzzy"'), [strong("xyzzy")]);
  assert.deepEqual(parseETagList('"xyzzy", "r2d2xxxx", "c3piozzzz"'), [
    strong("xyzzy"),
    strong("r2d2xxxx"),
    strong("c3piozzzz"),
  ]);
  assert.equal(parseETagList("*"), "*");
});

Deno.test("parseETagList() parses the RFC 9110 §13.1.2 examples", () => {
  assert.deepEqual(parseETagList('W/"xyzzy"'), [weak("xyzzy")]);
  assert.deepEqual(parseETagList('W/"xyzzy", W/"r2d2xxxx", W/"c3piozzzz"'), [
    weak("xyzzy"),
    weak("r2d2xxxx"),
    weak("c3piozzzz"),
  ]);
});

Deno.test("parseETagList() accepts OWS and empty list elements", () => {
  assert.deepEqual(parseETagList(' ,\t"a" ,, W/"b",  '), [strong("a"), weak("b")]);
  assert.deepEqual(parseETagList(""), []);
  assert.deepEqual(parseETagList(" , ,"), []);
  assert.equal(parseETagList(" \t* "), "*");
});

Deno.test("parseETagList() keeps a comma inside quotes as part of the tag", () => {
  assert.deepEqual(parseETagList('"a,b", "c"'), [strong("a,b"), strong("c")]);
});

Deno.test("parseETagList() returns null on syntax errors", () => {
  const invalid = [
    "xyzzy",
    '"xyzzy',
    '"a" "b"',
    '"a";"b"',
    '"a", *',
    "*, *",
    '*, "a"',
    "**",
    'w/"a"',
    'W/ "a"',
    "W/a",
    '"a"b',
    '"a\u0100"',
  ];
  for (const h of invalid) assert.equal(parseETagList(h), null, h);
});

Deno.test("strongMatch() and weakMatch() follow the RFC 9110 §8.8.3.2 table", () => {
  const table: Array<[EntityTag, EntityTag, boolean, boolean]> = [
    [weak("1"), weak("1"), false, true],
    [weak("1"), weak("2"), false, false],
    [weak("1"), strong("1"), false, true],
    [strong("1"), strong("1"), true, true],
  ];
  for (const [a, b, s, w] of table) {
    const name = `${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
    assert.equal(strongMatch(a, b), s, `strong ${name}`);
    assert.equal(strongMatch(b, a), s, `strong reversed ${name}`);
    assert.equal(weakMatch(a, b), w, `weak ${name}`);
    assert.equal(weakMatch(b, a), w, `weak reversed ${name}`);
  }
});

Deno.test("strongMatch() and weakMatch() compare opaque-tags octet by octet", () => {
  assert.equal(strongMatch(strong("abc"), strong("ABC")), false);
  assert.equal(weakMatch(strong("abc"), weak("abc ")), false);
});

Deno.test("parseETagList() never throws and returns tags that are valid etagc", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (h) => {
      const r = parseETagList(h);
      if (r === null || r === "*") return;
      for (const e of r) assert.ok(!e.tag.includes('"'));
    }),
    { numRuns: 2000 },
  );
});
