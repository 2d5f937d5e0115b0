import assert from "node:assert/strict";
import { Sealer } from "./sealed.ts";

const A = new Sealer("sealed-test-secret-0123456789");

Deno.test("Sealer opens what it sealed, for the same context only", async () => {
  const v = await A.seal("private key", "certificate 1");
  assert.match(v, /^v1\.[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/=]+$/);
  assert.equal(await A.open(v, "certificate 1"), "private key");
  assert.equal(
    await new Sealer("sealed-test-secret-0123456789").open(v, "certificate 1"),
    "private key",
  );
  assert.equal(await A.open(v, "certificate 2"), null);
  assert.equal(await new Sealer("another-secret-0123456789").open(v, "certificate 1"), null);
  assert.notEqual(await A.seal("private key", "certificate 1"), v, "a fresh IV each time");
});

Deno.test("Sealer.open() gives null for anything it did not seal, never an exception", async () => {
  const v = await A.seal("x", "c");
  const flipped = v.slice(0, -3) + (v.at(-3) === "A" ? "B" : "A") + v.slice(-2);
  for (const bad of ["", "x", "v1.", "v1..", "v2." + v.slice(3), v + ".x", flipped, "v1.!!.??"]) {
    assert.equal(await A.open(bad, "c"), null, bad);
  }
});
