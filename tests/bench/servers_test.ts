import assert from "node:assert/strict";
import { revisionId, revisionLabel, runsCase, SERVERS, withCheckouts } from "./servers.ts";

const A = { short: "b50dee1", dir: "/t/rev-b50dee1" };
const B = { short: "cdeb52f", dir: "/t/rev-cdeb52f" };

Deno.test("revisionId() and revisionLabel() add the short commit id to the row's", () => {
  assert.equal(revisionId("ours", "b50dee1"), "ours@b50dee1");
  assert.equal(revisionLabel("ours", "b50dee1"), "ours @b50dee1");
  assert.equal(revisionLabel("ours (sessions off)", "b50dee1"), "ours (sessions off) @b50dee1");
});

Deno.test("withCheckouts() puts each revision's row of ours right after that row", () => {
  const defs = withCheckouts(SERVERS, [A, B]);
  assert.deepEqual(defs.map((d) => d.label), [
    "ours",
    "ours @b50dee1",
    "ours @cdeb52f",
    "ours (sessions off)",
    "ours (sessions off) @b50dee1",
    "ours (sessions off) @cdeb52f",
    "nginx",
    "nginx tuned",
    "Deno.serve ref",
    "raw Deno loop",
  ]);
  assert.deepEqual(defs.map((d) => d.revisionOf ?? null), [
    null,
    "ours",
    "ours",
    null,
    "ours-nosess",
    "ours-nosess",
    null,
    null,
    null,
    null,
  ]);
  assert.equal(new Set(defs.map((d) => d.id)).size, defs.length, "ids are unique");
});

Deno.test("withCheckouts() gives a revision's row the cases of its row", () => {
  for (const d of withCheckouts(SERVERS, [A])) {
    const base = SERVERS.find((s) => s.id === (d.revisionOf ?? d.id));
    assert.ok(base);
    for (const c of ["1k-c50", "64k-c50", "range-c50", "idle"]) {
      assert.equal(runsCase(d, c), runsCase(base, c), `${d.id} ${c}`);
    }
  }
});

Deno.test("withCheckouts() adds rows only for the chosen rows of ours, and none without revisions", () => {
  const chosen = SERVERS.filter((s) => ["ours", "nginx"].includes(s.id));
  assert.deepEqual(withCheckouts(chosen, [A]).map((d) => d.id), [
    "ours",
    "ours@b50dee1",
    "nginx",
  ]);
  assert.deepEqual(withCheckouts(SERVERS.filter((s) => s.id === "nginx"), [A]).map((d) => d.id), [
    "nginx",
  ]);
  assert.deepEqual(withCheckouts(SERVERS, []), [...SERVERS]);
});
