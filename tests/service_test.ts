/**
 * The systemd unit launches what `deno task compile` builds, with the same permissions.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { REPO } from "./helpers/server.ts";

const unit = Deno.readTextFileSync(join(REPO, "httpserver.service"));
const tasks = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json"))).tasks as Record<
  string,
  string
>;

Deno.test("httpserver.service runs the compiled binary with its config and a graceful stop", () => {
  const exec = /^ExecStart=(\S+) --config (\S+)$/m.exec(unit);
  assert.ok(exec, "ExecStart line");
  const output = /--output (\S+)/.exec(tasks["compile"]!)![1]!;
  assertEquals(exec[1]!.endsWith("/" + output), true);
  assertEquals(exec[2]!.endsWith("/http.conf"), true);
  assert.match(unit, /^KillSignal=SIGTERM$/m);
  assert.match(unit, /^LimitNOFILE=\d+$/m);
  assert.match(unit, /^WantedBy=multi-user.target$/m);
});

Deno.test("the compile task includes the worker entry and the permissions the server uses", () => {
  const compile = tasks["compile"]!;
  assert.ok(compile.includes("--include lib/server/worker_main.ts"));
  assert.ok(compile.includes("--unstable-net"));
  for (
    const p of [
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
    ]
  ) {
    assert.ok(compile.includes(p), p);
    assert.ok(tasks["start"]!.includes(p), p);
  }
});
