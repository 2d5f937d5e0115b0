import assert from "node:assert/strict";
import { BoundedCache } from "./bounded_cache.ts";

Deno.test("BoundedCache evicts the least recently used entry", () => {
  const c = new BoundedCache<string, number>(2);
  c.set("a", 1);
  c.set("b", 2);
  assert.equal(c.get("a"), 1); // a is now most recent
  c.set("c", 3);
  assert.equal(c.get("b"), undefined);
  assert.equal(c.get("a"), 1);
  assert.equal(c.get("c"), 3);
  assert.equal(c.size, 2);
  c.delete("a");
  assert.equal(c.size, 1);
});

Deno.test("BoundedCache of 0 entries keeps nothing; a bad bound is a RangeError", () => {
  const c = new BoundedCache<string, number>(0);
  c.set("a", 1);
  assert.equal(c.size, 0);
  assert.throws(() => new BoundedCache(-1), RangeError);
  assert.throws(() => new BoundedCache(1.5), RangeError);
});
