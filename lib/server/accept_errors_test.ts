import assert from "node:assert/strict";
import { acceptStep, clientGone, MAX_RETRY_MS } from "./accept_errors.ts";

Deno.test("a client gone before accept is skipped at once, whatever came before", () => {
  for (
    const e of [
      new Deno.errors.NotConnected("Transport endpoint is not connected (os error 107)"),
      new Deno.errors.ConnectionAborted("Software caused connection abort (os error 103)"),
      new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)"),
    ]
  ) {
    assert.equal(clientGone(e), true, e.name);
    assert.deepEqual(acceptStep(e, 0, false), { kind: "next" }, e.name);
    assert.deepEqual(acceptStep(e, 50, false), { kind: "next" }, "no pause after other failures");
  }
});

Deno.test("other accept failures retry at once the first time, then pause longer, up to a cap", () => {
  const emfile = new Error("Too many open files (os error 24)");
  assert.equal(clientGone(emfile), false);
  assert.deepEqual(acceptStep(emfile, 1, false), { kind: "retry", ms: 0 });
  assert.deepEqual(acceptStep(emfile, 2, false), { kind: "retry", ms: 10 });
  assert.deepEqual(acceptStep(emfile, 10, false), { kind: "retry", ms: 50 });
  assert.deepEqual(acceptStep(emfile, 1000, false), { kind: "retry", ms: MAX_RETRY_MS });
  assert.deepEqual(acceptStep("not even an Error", 3, false), { kind: "retry", ms: 15 });
});

Deno.test("a closed listener or a shutdown stops the loop", () => {
  assert.deepEqual(acceptStep(new Deno.errors.BadResource("closed"), 0, false), { kind: "stop" });
  assert.deepEqual(acceptStep(new Deno.errors.Interrupted("closed"), 0, false), { kind: "stop" });
  assert.deepEqual(
    acceptStep(new Deno.errors.NotConnected("reset"), 0, true),
    { kind: "stop" },
    "draining wins",
  );
});
