import assert from "node:assert/strict";
import { MAX_LINES, StderrCopy } from "./stderr_copy.ts";

Deno.test("StderrCopy copies up to MAX_LINES per batch and counts the rest", () => {
  const c = new StderrCopy();
  assert.equal(c.take(), "");
  c.add("a\n");
  c.add("b\n");
  assert.equal(c.take(), "a\nb\n");
  for (let i = 0; i < MAX_LINES + 5; i++) c.add(`${i}\n`);
  const text = c.take();
  assert.equal(text.split("\n").length - 1, MAX_LINES + 1);
  assert.ok(text.startsWith("0\n1\n"));
  assert.match(text, /\nhttpserver: 5 more warning and error line\(s\) in error\.log\n$/);
  assert.equal(c.take(), "", "a new batch starts empty");
});
