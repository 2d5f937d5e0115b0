import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes() joins the arrays in order into a new one", () => {
  const a = new Uint8Array([1, 2]);
  const b = new Uint8Array([3]);
  const joined = concatBytes([a, new Uint8Array(0), b, a.subarray(1)]);
  assert.deepEqual([...joined], [1, 2, 3, 2]);
  assert.equal(concatBytes([]).length, 0);
  joined[0] = 9;
  assert.equal(a[0], 1, "a copy, not a view");
});
