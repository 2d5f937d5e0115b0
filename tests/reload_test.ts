/**
 * Reloading http.conf (SIGHUP, `--reload PID` as systemd's ExecReload runs it), black-box: the
 * real server, real signals, a real client load. The load test runs in a private network
 * namespace with net.ipv4.tcp_migrate_req=1, as install.sh sets it (root needed).
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { privateNetwork } from "./helpers/netns.ts";
import type { LoadReport } from "./helpers/load_client.ts";
import {
  eventually,
  rawExchange,
  REPO,
  RUN_FLAGS,
  startServer,
  statusOf,
  tempDir,
  type TestServer,
} from "./helpers/server.ts";

/**
 * What the unit's ExecReload does: note the time, send SIGHUP, then `httpserver --wait-reload
 * TIME` with the server's runtime folder.
 */
async function reloadCommand(pid: number, runtimeDir: string) {
  const since = Date.now();
  Deno.kill(pid, "SIGHUP");
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, join(REPO, "main.ts"), "--wait-reload", String(since)],
    env: { RUNTIME_DIRECTORY: runtimeDir },
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

/** A rule under [CacheControl], first so it wins. */
const cacheRule = (rule: string) => (text: string) =>
  text.replace(/^\[CacheControl\]$/m, `[CacheControl]\n${rule}`);

function count(text: string, re: RegExp): number {
  return text.split("\n").filter((l) => re.test(l)).length;
}

async function get(port: number, target: string): Promise<string> {
  return await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
}

Deno.test("a reload with an invalid http.conf keeps the running configuration and fails, naming file, line and key", async () => {
  const run = tempDir();
  const s = await startServer({
    edit: cacheRule("*.txt = max-age=60"),
    env: { RUNTIME_DIRECTORY: run },
  });
  try {
    assert.match(await get(s.port, "/hello.txt"), /\r\nCache-Control: max-age=60\r\n/);
    s.rewriteConfig({ Workers: "lots" }, "", cacheRule("*.txt = max-age=120"));
    const r = await reloadCommand(s.proc.pid, run);
    assertEquals(r.code, 1, r.out);
    const file = join(s.dir, "http.conf");
    const line = Deno.readTextFileSync(file).split("\n").findIndex((l) => /^Workers/.test(l)) + 1;
    assert.ok(r.out.includes(`${file}:${line}: Workers: expected`), r.out);
    await eventually(() => s.readLog("error.log").includes("reload failed"));
    const log = s.readLog("error.log");
    assertEquals(count(log, /reload failed/), 1, log);
    assert.match(
      log,
      new RegExp(
        `\\[core:error\\].*reload failed, still serving with the previous configuration: ${file}:${line}: Workers: expected`,
      ),
    );
    // Still the old rule, from the old workers.
    for (let i = 0; i < 5; i++) {
      assert.match(await get(s.port, "/hello.txt"), /\r\nCache-Control: max-age=60\r\n/);
    }
    // Fixed: the next reload applies it.
    s.rewriteConfig({}, "", cacheRule("*.txt = max-age=120"));
    const ok = await reloadCommand(s.proc.pid, run);
    assertEquals(ok.code, 0, ok.out);
    assert.match(ok.out, /reloaded .*http\.conf: generation 2/);
    for (let i = 0; i < 5; i++) {
      assert.match(await get(s.port, "/hello.txt"), /\r\nCache-Control: max-age=120\r\n/);
    }
  } finally {
    assertEquals(await s.stop(), 0);
    Deno.removeSync(run, { recursive: true });
  }
});

/** A port below 32768 that is free now. */
function freePort(): number {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch { /* taken: try another */ }
  }
}

Deno.test("a reload with a changed Listen binds the new address and releases the old one", async () => {
  const run = tempDir();
  const s = await startServer({ env: { RUNTIME_DIRECTORY: run } });
  try {
    const next = freePort();
    s.rewriteConfig({ Listen: `127.0.0.1:${next}` });
    const r = await reloadCommand(s.proc.pid, run);
    assertEquals(r.code, 0, r.out);
    assertEquals(statusOf(await get(next, "/hello.txt")), 200);
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: s.port }),
      Deno.errors.ConnectionRefused,
    );
    const said = new RegExp(`reloaded: listening on http://127\\.0\\.0\\.1:${next} `);
    await eventually(() => said.test(s.stdout()), 5000, "the reloaded line on stdout");
  } finally {
    assertEquals(await s.stop(), 0);
    Deno.removeSync(run, { recursive: true });
  }
});

/** Headers of a GET from inside the namespace, through curl. */
async function curlHead(ns: { output: (c: string[]) => Promise<{ stdout: string }> }, url: string) {
  return (await ns.output(["curl", "-sS", "-D", "-", "-o", "/dev/null", url])).stdout;
}

async function curlBody(ns: { output: (c: string[]) => Promise<{ stdout: string }> }, url: string) {
  return (await ns.output(["curl", "-sS", url])).stdout;
}

interface StatusJson {
  instance: {
    startedMs: number;
    requests: number;
    workers: Array<{ id: number; state: string }>;
  };
}

Deno.test("three reloads under load: no failed request, no reset, the download intact, the new settings in effect", async () => {
  const ns = await privateNetwork(["net.ipv4.tcp_migrate_req=1"]);
  const run = tempDir();
  let s: TestServer | null = null;
  let load: Deno.ChildProcess | null = null;
  let loadOut: Promise<Deno.CommandOutput> | null = null;
  const stopFile = join(run, "stop-load");
  try {
    // Long enough for the first generation to finish the download after three reloads, however
    // slow the machine.
    const grace = { ShutdownGrace: "5m" };
    s = await startServer({
      wrap: () => ns.argv([]),
      conf: grace,
      edit: cacheRule("*.txt = max-age=60"),
      env: { RUNTIME_DIRECTORY: run },
    });
    const server = s;
    const url = (p: string) => `${server.url}${p}`;
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let off = 0; off < big.length; off += 65536) {
      crypto.getRandomValues(big.subarray(off, off + 65536));
    }
    Deno.writeFileSync(join(s.root, "big.bin"), big);
    Deno.writeTextFileSync(join(s.root, "which.txt"), "A");
    const rootB = join(s.dir, "html-b");
    Deno.mkdirSync(rootB);
    Deno.copyFileSync(join(s.root, "hello.txt"), join(rootB, "hello.txt"));
    Deno.writeTextFileSync(join(rootB, "which.txt"), "B");
    const before = (JSON.parse(await curlBody(ns, url("/server-status?json"))) as StatusJson)
      .instance;

    const [cmd, ...args] = ns.argv([
      Deno.execPath(),
      "run",
      "-A",
      join(REPO, "tests", "helpers", "load_client.ts"),
      "--port",
      String(s.port),
      "--keep-alive",
      "4",
      "--fresh",
      "8",
      "--paths",
      "/hello.txt,/which.txt",
      "--download",
      "/big.bin",
      "--download-kib-per-tick",
      "4",
      "--stop-file",
      stopFile,
      "--max-seconds",
      "60",
    ]);
    load = new Deno.Command(cmd!, { args, stdout: "piped", stderr: "piped" }).spawn();
    loadOut = load.output();
    // The load has started once its requests show in the access log.
    await eventually(() => s!.readLog("access.log").includes("which.txt"), 10_000, "the load");

    const reload = async (n: number, conf: Record<string, string>, rule: string) => {
      server.rewriteConfig({ ...grace, ...conf }, "", cacheRule(rule));
      const r = await reloadCommand(server.proc.pid, run);
      assertEquals(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`generation ${n}, `));
    };
    // 1: a changed [CacheControl] rule. The reload is done when the old workers no longer
    // accept, so every new connection from now on meets the new configuration.
    await reload(2, {}, "*.txt = max-age=120");
    for (let i = 0; i < 10; i++) {
      assert.match(await curlHead(ns, url("/hello.txt")), /\r\nCache-Control: max-age=120\r\n/);
    }
    // 2: a changed DocumentRoot.
    await reload(3, { DocumentRoot: rootB }, "*.txt = max-age=120");
    for (let i = 0; i < 10; i++) assertEquals(await curlBody(ns, url("/which.txt")), "B");
    // 3: both again, and another worker count.
    await reload(4, { DocumentRoot: rootB, Workers: "3" }, "*.txt = no-cache");
    for (let i = 0; i < 10; i++) {
      assert.match(await curlHead(ns, url("/which.txt")), /\r\nCache-Control: no-cache\r\n/);
    }
    // The download is still being sent by a worker of the first generation (ids 1 and 2),
    // retired three reloads ago and finishing within its ShutdownGrace.
    const during = (JSON.parse(await curlBody(ns, url("/server-status?json"))) as StatusJson)
      .instance;
    assert.ok(
      during.workers.some((w) => w.id <= 2 && w.state === "stopping"),
      JSON.stringify(during.workers),
    );

    Deno.writeTextFileSync(stopFile, "");
    const out = await loadOut;
    load = null;
    const report = JSON.parse(new TextDecoder().decode(out.stdout)) as LoadReport;
    const summary = JSON.stringify(report);
    assertEquals(report.failed, 0, summary);
    assertEquals(report.resets, 0, summary);
    assertEquals(report.closedUnanswered, 0, summary);
    assert.ok(report.ok > 100, summary);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", big));
    const want = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    assertEquals(report.download?.error, "", summary);
    assertEquals(report.download?.status, 200, summary);
    assertEquals(report.download?.sha256, want, "the download is byte-identical");

    // The status page is the instance's: same start, counts carried over, the new workers.
    const after = (JSON.parse(await curlBody(ns, url("/server-status?json"))) as StatusJson)
      .instance;
    assertEquals(after.startedMs, before.startedMs);
    assert.ok(after.requests >= before.requests + 100, `${before.requests} -> ${after.requests}`);
    const ready = after.workers.filter((w) => w.state === "ready").map((w) => w.id);
    assert.deepEqual(ready.sort((a, b) => a - b), [7, 8, 9], JSON.stringify(after.workers));
  } finally {
    if (load !== null) {
      try {
        load.kill("SIGKILL");
      } catch { /* gone */ }
      await loadOut;
    }
    if (s !== null) assertEquals(await s.stop(), 0);
    await ns.close();
    Deno.removeSync(run, { recursive: true });
  }
});

Deno.test("the server warns at start when a reload would reset queued connections (tcp_migrate_req 0), not when 1", async () => {
  for (const value of [0, 1]) {
    const ns = await privateNetwork([`net.ipv4.tcp_migrate_req=${value}`]);
    let s: TestServer | null = null;
    try {
      s = await startServer({ wrap: () => ns.argv([]) });
      const server = s;
      // The probe runs right after the listening line; "shutdown complete" comes after it.
      assertEquals(await server.stop(), 0);
      s = null;
      const log = server.readLog("error.log");
      assert.match(log, /shutdown complete/);
      assertEquals(/\[core:warn\].*net\.ipv4\.tcp_migrate_req is 0/.test(log), value === 0, log);
    } finally {
      if (s !== null) await s.stop();
      await ns.close();
    }
  }
});
