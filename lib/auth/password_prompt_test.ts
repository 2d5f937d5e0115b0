import assert from "node:assert/strict";
import { PasswordKeys } from "./password_prompt.ts";

const type = (s: string, chunks = 1) => {
  const k = new PasswordKeys();
  const bytes = new TextEncoder().encode(s);
  let r = "more";
  const size = Math.ceil(bytes.length / chunks);
  for (let i = 0; i < bytes.length && r === "more"; i += size) {
    r = k.feed(bytes.subarray(i, i + size));
  }
  return { r, text: new TextDecoder().decode(Uint8Array.from(k.bytes)) };
};

Deno.test("PasswordKeys ends at Enter, deletes with Backspace and Ctrl-U, ignores escapes", () => {
  assert.deepEqual(type("secret\r"), { r: "done", text: "secret" });
  assert.deepEqual(type("secret\n"), { r: "done", text: "secret" });
  assert.deepEqual(type("secrex\x7ft\r"), { r: "done", text: "secret" });
  assert.deepEqual(type("wrong\x15right\r"), { r: "done", text: "right" });
  assert.deepEqual(type("caf\u00e9\x7fe\r"), { r: "done", text: "cafe" }); // é is 2 bytes
  assert.deepEqual(type("a\x1b[Db\x1bOHc\x01\r"), { r: "done", text: "abc" });
  assert.deepEqual(type("pass word\rignored"), { r: "done", text: "pass word" });
  assert.deepEqual(type("x\x7f\x7f\x7fy\r"), { r: "done", text: "y" });
});

Deno.test("PasswordKeys cancels on Ctrl-C, and on Ctrl-D only when nothing was typed", () => {
  assert.equal(type("abc\x03def\r").r, "cancel");
  assert.equal(type("\x04").r, "cancel");
  assert.deepEqual(type("abc\x04"), { r: "done", text: "abc" });
  assert.equal(type("abc").r, "more");
});

Deno.test("PasswordKeys gives the same password however the bytes are split", () => {
  const input = "p\u00e4ss\x1b[A\x7fs\x08w\u20acrd\r";
  const whole = type(input);
  for (let chunks = 2; chunks <= 20; chunks++) assert.deepEqual(type(input, chunks), whole);
  assert.deepEqual(whole, { r: "done", text: "p\u00e4sw\u20acrd" });
});
