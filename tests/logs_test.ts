/**
 * Log rotation, black-box: the real server, its log files renamed as logrotate does, and a real
 * SIGUSR1 (or SIGHUP, which reloads http.conf and so reopens the logs) to the real process.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { eventually, openFiles, rawExchange, startServer, statusOf } from "./helpers/server.ts";
import { join } from "./helpers/paths.ts";

async function get(port: number, target: string): Promise<number> {
  const r = await rawExchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
  );
  return statusOf(r);
}

/** Whether `text` contains every one of `parts`. */
function has(text: string, ...parts: string[]): boolean {
  return parts.every((p) => text.includes(p));
}

/** What error.log says once the logs are reopened: SIGHUP reopens them as part of a reload. */
const REOPENED = {
  SIGUSR1: /caught SIGUSR1, logs reopened/,
  SIGHUP: /reloaded .*http\.conf: generation 2, .*logs reopened/,
};

for (const signal of ["SIGUSR1", "SIGHUP"] as const) {
  Deno.test(`${signal} after logrotate renamed the logs: new lines go to new files, old ones are let go`, async () => {
    const s = await startServer();
    try {
      const logs = join(s.dir, "logs");
      const read = (name: string) => Deno.readTextFileSync(join(logs, name));
      assertEquals(await get(s.port, "/hello.txt?before"), 200);
      assertEquals(await get(s.port, "/missing-before"), 404);
      // Both workers' batches written (each flushes on its own timer) before the rotation.
      await eventually(() => has(read("access.log"), "hello.txt?before", "missing-before"));
      await eventually(() => read("error.log").includes("missing-before"));
      // What logrotate does without copytruncate: rename, then signal the server.
      Deno.renameSync(join(logs, "access.log"), join(logs, "access.log.1"));
      Deno.renameSync(join(logs, "error.log"), join(logs, "error.log.1"));
      s.proc.kill(signal);
      await eventually(() => {
        try {
          return REOPENED[signal].test(read("error.log"));
        } catch {
          return false; // not created yet
        }
      });
      assertEquals(await get(s.port, "/hello.txt?after"), 200);
      assertEquals(await get(s.port, "/missing-after"), 404);
      await eventually(() => has(read("access.log"), "hello.txt?after", "missing-after"));
      await eventually(() => read("error.log").includes("missing-after"));

      const oldAccess = read("access.log.1");
      assert.match(oldAccess, /hello\.txt\?before/);
      assert.doesNotMatch(oldAccess, /after/);
      assert.doesNotMatch(read("error.log.1"), /after/);
      assert.doesNotMatch(read("access.log"), /before/);
      const held = await openFiles(s.proc.pid);
      assert.ok(!held.some((f) => f.endsWith(".log.1")), `still open: ${held.join(", ")}`);
      assert.ok(held.some((f) => f === join(logs, "access.log")), held.join(", "));
    } finally {
      assertEquals(await s.stop(), 0, "the server is still up and stops cleanly");
    }
  });
}

Deno.test("SIGHUP stops a server run from a terminal, as closing the terminal should", async () => {
  const s = await startServer({ terminal: true });
  let pid = 0;
  try {
    const p = s.proc.pid; // cat, not pgrep: coreutils is on every Debian, procps may not be
    const child = await new Deno.Command("cat", { args: [`/proc/${p}/task/${p}/children`] })
      .output();
    pid = Number(new TextDecoder().decode(child.stdout).trim());
    assert.ok(pid > 0, "the server is script's child");
    assertEquals(await get(s.port, "/hello.txt"), 200);
    Deno.kill(pid, "SIGHUP");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      s.proc.status.then((st) => st.code),
      new Promise<string>((r) => (timer = setTimeout(() => r("still running after 10 s"), 10_000))),
    ]);
    clearTimeout(timer);
    assertEquals(code, 0, "a clean stop");
    const log = Deno.readTextFileSync(join(s.dir, "logs", "error.log"));
    assert.match(log, /caught SIGHUP, shutting down/);
  } finally {
    try {
      if (pid > 0) Deno.kill(pid, "SIGKILL"); // only if still there
    } catch { /* stopped */ }
    await s.stop();
  }
});
