/**
 * `deno task compile` checks what it built, and install.sh runs the source tree with the same
 * flags the compiled binary gets. (A real build needs a denort runtime, which these machines
 * cannot fetch: the success path is not exercised here.)
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { REPO, tempDir } from "./helpers/server.ts";

const tasks = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json"))).tasks as Record<
  string,
  string
>;
/** The arguments the compile task hands to deno compile. */
const compileArgs = tasks["compile"]!.split(" -- ")[1]!.split(" ");

Deno.test("deno task compile refuses a build that is not httpserver (DENORT_BIN naming deno) and removes it", async () => {
  const dir = tempDir();
  try {
    const output = join(dir, "httpserver");
    const args = compileArgs.map((a, i) => (compileArgs[i - 1] === "--output" ? output : a));
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "tools/compile.ts",
        "--",
        ...args,
      ],
      cwd: REPO,
      env: { DENORT_BIN: Deno.execPath() },
      stdout: "null",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 1, err);
    assert.match(err, /built something that is not httpserver: .* printed "deno \d+\.\d+\.\d+/);
    assert.match(err, /DENORT_BIN is .*: it must name a denort binary, not deno/);
    assert.match(err, /denort-.*\.zip from the Deno release/);
    assert.throws(() => Deno.statSync(output), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("install.sh's launcher runs the source with the permissions the compiled binary gets", () => {
  const install = Deno.readTextFileSync(join(REPO, "install.sh"));
  const flags = /^DENO_FLAGS="([^"]+)"$/m.exec(install)![1]!.split(" ");
  const compiled = compileArgs.filter((a) => /^--(allow-|unstable-)/.test(a));
  assertEquals([...flags].sort(), [...compiled].sort());
  assert.ok(compileArgs.includes("--include") && compileArgs.includes("lib/server/worker_main.ts"));
});
