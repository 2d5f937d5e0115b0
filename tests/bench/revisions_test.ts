import assert from "node:assert/strict";
import { checkoutDir } from "./revisions.ts";

Deno.test("checkoutDir() puts a revision's worktree in the run's temporary folder", () => {
  assert.equal(
    checkoutDir("/tmp/httpserver-bench-x", "b50dee1"),
    "/tmp/httpserver-bench-x/rev-b50dee1",
  );
});
