import assert from "node:assert/strict";
import { schedule } from "./rounds.ts";
import { SERVERS, withCheckouts } from "./servers.ts";

const names = (turns: ReturnType<typeof schedule<string, string>>) =>
  turns.map((t) =>
    t.kind === "wrk" ? `${t.round}:${t.case}:${t.server}` : `${t.round}:idle:${t.server}`
  );

Deno.test("schedule: every case with every server per round, the server order rotating", () => {
  assert.deepEqual(names(schedule(["a", "b", "c"], ["x", "y"], 2, false)), [
    "1:x:a",
    "1:x:b",
    "1:x:c",
    "1:y:a",
    "1:y:b",
    "1:y:c",
    "2:x:b",
    "2:x:c",
    "2:x:a",
    "2:y:b",
    "2:y:c",
    "2:y:a",
  ]);
});

Deno.test("schedule: the idle case runs after all throughput rounds, never between them", () => {
  const turns = schedule(["a", "b"], ["x"], 3, true);
  assert.deepEqual(names(turns), [
    "1:x:a",
    "1:x:b",
    "2:x:b",
    "2:x:a",
    "3:x:a",
    "3:x:b",
    "1:idle:a",
    "1:idle:b",
    "2:idle:b",
    "2:idle:a",
    "3:idle:a",
    "3:idle:b",
  ]);
  const firstIdle = turns.findIndex((t) => t.kind === "idle");
  assert.equal(turns.slice(firstIdle).every((t) => t.kind === "idle"), true);
});

Deno.test("schedule: no idle turns when the idle case is off", () => {
  assert.equal(schedule(["a"], ["x", "y"], 2, false).some((t) => t.kind === "idle"), false);
});

Deno.test("schedule: an older revision's row takes its turn in every round's rotation", () => {
  const chosen = SERVERS.filter((s) => ["ours", "nginx"].includes(s.id));
  const ids = withCheckouts(chosen, [{ short: "b50dee1", dir: "/t/rev-b50dee1" }]).map((s) => s.id);
  assert.deepEqual(names(schedule(ids, ["x"], 3, true)), [
    "1:x:ours",
    "1:x:ours@b50dee1",
    "1:x:nginx",
    "2:x:ours@b50dee1",
    "2:x:nginx",
    "2:x:ours",
    "3:x:nginx",
    "3:x:ours",
    "3:x:ours@b50dee1",
    "1:idle:ours",
    "1:idle:ours@b50dee1",
    "1:idle:nginx",
    "2:idle:ours@b50dee1",
    "2:idle:nginx",
    "2:idle:ours",
    "3:idle:nginx",
    "3:idle:ours",
    "3:idle:ours@b50dee1",
  ]);
});
