/**
 * The systemd unit: systemd itself finds it valid (`systemd-analyze verify`, offline), and it
 * launches what `deno task compile` builds, with the config checked first, a stop that outlasts
 * ShutdownGrace, and the limits and rights the bundled http.conf needs. Each key is checked
 * on its own, so a hardened unit adds lines here rather than rewriting them.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { parseCli } from "../lib/config/cli.ts";
import { parseConfig } from "../lib/config/config.ts";
import { dirname, join } from "./helpers/paths.ts";
import { REPO, tempDir } from "./helpers/server.ts";
import {
  command,
  parseUnit,
  softLimit,
  timespanMs,
  value,
  values,
  words,
} from "./helpers/systemd_unit.ts";

const UNIT_FILE = "httpserver.service";
const unitText = Deno.readTextFileSync(join(REPO, UNIT_FILE));
const unit = parseUnit(unitText);
const tasks = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json"))).tasks as Record<
  string,
  string
>;

/** ExecStart=, which must be a single command. */
function execStart(): string[] {
  const all = values(unit, "Service", "ExecStart");
  assertEquals(all.length, 1, "one ExecStart=");
  return command(all[0]!).argv;
}

/** The config file ExecStart= passes with --config. */
function configPath(): string {
  const cli = parseCli(execStart().slice(1));
  assert.ok(cli.config !== undefined, "ExecStart= names its config with --config");
  return cli.config;
}

/** The bundled http.conf as the service reads it: copied beside the binary (see the unit). */
function serviceConfig() {
  const file = configPath();
  return parseConfig(Deno.readTextFileSync(join(REPO, "http.conf")), {
    file,
    baseDir: dirname(file),
    cpus: 2,
  });
}

Deno.test("systemd-analyze verify accepts httpserver.service", async () => {
  // Offline, against a scratch root holding the unit and a stand-in for each program it runs
  // (verify checks they exist and are executable); dependencies such as network-online.target
  // are not part of that root, so only this unit's own errors count.
  const root = tempDir();
  try {
    const unitDir = join(root, "etc", "systemd", "system");
    Deno.mkdirSync(unitDir, { recursive: true });
    Deno.writeTextFileSync(join(unitDir, UNIT_FILE), unitText);
    for (const [key, list] of unit.get("Service") ?? []) {
      if (!key.startsWith("Exec")) continue;
      for (const line of list) {
        const program = join(root, command(line).argv[0]!);
        Deno.mkdirSync(dirname(program), { recursive: true });
        Deno.writeTextFileSync(program, "#!/bin/sh\n", { mode: 0o755 });
      }
    }
    let r: Deno.CommandOutput;
    try {
      r = await new Deno.Command("systemd-analyze", {
        args: [
          "verify",
          `--root=${root}`,
          "--man=no",
          "--recursive-errors=no",
          `/etc/systemd/system/${UNIT_FILE}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      throw new Error(`systemd-analyze is required for this test (apt-get install systemd): ${e}`);
    }
    const said = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 0, said);
    assertEquals(said.trim(), "", "no warnings");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("httpserver.service runs the compiled binary beside its http.conf", () => {
  const [program, ...args] = execStart();
  const dir = value(unit, "Service", "WorkingDirectory");
  const output = /--output (\S+)/.exec(tasks["compile"]!)![1]!;
  assertEquals(program, join(dir, output), "the binary `deno task compile` writes");
  assertEquals(configPath(), join(dir, "http.conf"));
  const cli = parseCli(args);
  assertEquals(cli.checkConfig, false, "ExecStart= serves");
  assertEquals(value(unit, "Install", "WantedBy"), "multi-user.target");
});

Deno.test("httpserver.service checks the config it will run with before starting", () => {
  const checks = values(unit, "Service", "ExecStartPre").map((l) => command(l));
  const check = checks.find((c) => parseCli(c.argv.slice(1)).checkConfig);
  assert.ok(check !== undefined, "an ExecStartPre= runs --check-config");
  assertEquals(check.argv[0], execStart()[0], "the same binary");
  assertEquals(parseCli(check.argv.slice(1)).config, configPath(), "the same config");
  assert.ok(!check.prefixes.includes("-"), "a failed check stops the start (no '-' prefix)");
});

Deno.test("httpserver.service stops with SIGTERM and waits longer than ShutdownGrace", () => {
  assertEquals(value(unit, "Service", "KillSignal"), "SIGTERM", "the signal that drains");
  // After ShutdownGrace the pool waits up to a second more for its workers (worker_pool.ts);
  // systemd must not SIGKILL before that, or in-flight responses and log lines are lost.
  const stopMs = timespanMs(value(unit, "Service", "TimeoutStopSec"));
  const graceMs = serviceConfig().shutdownGraceMs;
  assert.ok(stopMs > graceMs + 1000, `TimeoutStopSec ${stopMs} ms, ShutdownGrace ${graceMs} ms`);
  assertEquals(value(unit, "Service", "Restart"), "on-failure");
});

Deno.test("httpserver.service grants what the server needs: descriptors, port 80, log folder", () => {
  const config = serviceConfig();
  const nofile = softLimit(value(unit, "Service", "LimitNOFILE"));
  assert.ok(
    nofile >= config.maxSimultaneousConnections,
    `LimitNOFILE ${nofile} < MaxSimultaneousConnections ${config.maxSimultaneousConnections}`,
  );
  const caps = values(unit, "Service", "AmbientCapabilities").flatMap(words);
  assert.ok(caps.includes("CAP_NET_BIND_SERVICE"), `AmbientCapabilities ${caps}`);
  const user = value(unit, "Service", "User");
  assert.ok(user !== "" && user !== "root" && user !== "0", `User=${user}`);
  // ReadWritePaths entries may carry "-" (ignore if missing) or "+" prefixes.
  const writable = values(unit, "Service", "ReadWritePaths").flatMap(words)
    .map((p) => p.replace(/^[-+]+/, ""));
  for (const log of [config.accessLog, config.errorLog].filter((l) => l !== "")) {
    const folder = dirname(log);
    assert.ok(
      writable.some((p) => folder === p || folder.startsWith(p + "/")),
      `${folder} (for ${log}) is not in ReadWritePaths ${writable}`,
    );
  }
  // ACME (off in the bundled conf) keeps its account key and certificate in ACMEStorage.
  const acme = config.acmeStorage;
  assert.ok(
    writable.some((p) => acme === p || acme.startsWith(p + "/")),
    `ACMEStorage ${acme} is not in ReadWritePaths ${writable}`,
  );
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

Deno.test("httpserver.service is Type=notify, with a reload that waits for the server's outcome", () => {
  assertEquals(value(unit, "Service", "Type"), "notify");
  assertEquals(value(unit, "Service", "NotifyAccess"), "main");
  assertEquals(value(unit, "Service", "RuntimeDirectory"), "httpserver");
  const reload = values(unit, "Service", "ExecReload").map((l) => command(l).argv);
  assertEquals(reload.length, 1);
  const [sh, dashC, script] = reload[0]!;
  assertEquals([sh, dashC], ["/bin/sh", "-c"]);
  // The time first, then the signal, then the wait for an outcome not older than that time,
  // through the same program ExecStart= runs.
  assert.match(
    script!,
    /^since=\$\(date \+%s%3N\) && kill -HUP "\$MAINPID" && exec (\S+) --wait-reload "\$since"$/,
  );
  assertEquals(/exec (\S+) --wait-reload/.exec(script!)![1], execStart()[0]);
  // The watchdog outlasts the heartbeat, so a stuck worker is found by the heartbeat first.
  const heartbeat = serviceConfig().workerHeartbeatMs;
  assert.ok(timespanMs(value(unit, "Service", "WatchdogSec")) > 2 * heartbeat);
});
