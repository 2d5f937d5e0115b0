/**
 * The systemd notification protocol, black-box: the real server with $NOTIFY_SOCKET pointing
 * at a datagram socket this test reads, as systemd's would be (the real systemd is in
 * systemd_test.ts).
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { eventually, REPO, startServer, tempDir } from "./helpers/server.ts";

/** A socket standing in for systemd's notify socket; collects every datagram. */
function notifySocket(dir: string) {
  const path = join(dir, "notify.sock");
  const conn = Deno.listenDatagram({ transport: "unixpacket", path });
  const messages: string[] = [];
  const done = (async () => {
    try {
      for (;;) {
        const [data] = await conn.receive();
        messages.push(new TextDecoder().decode(data));
      }
    } catch { /* closed */ }
  })();
  return {
    path,
    messages,
    /** Index of the first message at or after `from` with every one of `lines`. */
    find(lines: string[], from = 0): number {
      for (let i = from; i < messages.length; i++) {
        const got = messages[i]!.split("\n");
        if (lines.every((l) => got.includes(l))) return i;
      }
      return -1;
    },
    async close() {
      conn.close();
      await done;
    },
  };
}

/** CLOCK_BOOTTIME in µs, whole seconds (Deno reads /proc/uptime only with --allow-all). */
function uptimeUsec(): number {
  return Deno.osUptime() * 1e6;
}

Deno.test("Type=notify: READY=1 once listening, RELOADING=1 then READY=1 around each reload, STOPPING=1", async () => {
  const dir = tempDir();
  const sd = notifySocket(dir);
  const s = await startServer({ env: { NOTIFY_SOCKET: sd.path, RUNTIME_DIRECTORY: dir } });
  try {
    await eventually(() => sd.find(["READY=1"]) >= 0, 5000, "READY=1");
    const ready = sd.messages[sd.find(["READY=1"])]!;
    assert.match(ready, /^STATUS=listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers\)$/m);

    const before = uptimeUsec();
    s.proc.kill("SIGHUP");
    await eventually(() => sd.find(["READY=1"], 1) >= 0, 10_000, "READY=1 after the reload");
    const reloading = sd.find(["RELOADING=1"]);
    assert.ok(reloading > 0 && reloading < sd.find(["READY=1"], 1), sd.messages.join(" | "));
    const usec = Number(/^MONOTONIC_USEC=(\d+)$/m.exec(sd.messages[reloading]!)?.[1]);
    assert.ok(usec >= before + 1e6 && usec <= uptimeUsec() + 2e6, `${before} <= ${usec}`);
    assert.match(sd.messages[sd.find(["READY=1"], 1)]!, /^STATUS=reloaded .*generation 2, /m);

    // A refused reload still ends in READY=1 (the old configuration serves), saying why.
    s.rewriteConfig({ Workers: "none" });
    const n = sd.messages.length;
    s.proc.kill("SIGHUP");
    await eventually(() => sd.find(["READY=1"], n) >= 0, 10_000, "READY=1 after a failed reload");
    assert.ok(sd.find(["RELOADING=1"], n) >= n);
    assert.match(
      sd.messages[sd.find(["READY=1"], n)]!,
      /^STATUS=reload failed, still serving with the previous configuration: .*http\.conf:\d+: Workers: /m,
    );
  } finally {
    assertEquals(await s.stop(), 0);
    await eventually(() => sd.find(["STOPPING=1"]) >= 0, 5000, "STOPPING=1");
    assert.match(sd.messages[sd.find(["STOPPING=1"])]!, /^STATUS=caught SIGTERM, shutting down$/m);
    await sd.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("WATCHDOG=1 goes out while every worker answers its heartbeat, and stops when one is stuck", async () => {
  const dir = tempDir();
  const sd = notifySocket(dir);
  const s = await startServer({
    entry: join(REPO, "tests", "fixtures", "faulty_main.ts"),
    conf: { WorkerHeartbeat: "2s" },
    env: {
      NOTIFY_SOCKET: sd.path,
      WATCHDOG_USEC: "400000", // a beat every 100 ms
      HTTPSERVER_FAULT_DIR: dir,
    },
  });
  try {
    await eventually(() => sd.messages.filter((m) => m === "WATCHDOG=1").length >= 3);
    Deno.writeTextFileSync(join(dir, "hang-1"), "");
    await eventually(() => sd.find(["STOPPING=1"]) >= 0, 15_000, "STOPPING=1");
    const late = sd.find(["STATUS=a worker is not answering its heartbeat"]);
    const stopping = sd.find(["STOPPING=1"]);
    assert.ok(late > 0 && late < stopping, sd.messages.join(" | "));
    const between = sd.messages.slice(late + 1, stopping);
    assert.ok(!between.some((m) => m.includes("WATCHDOG=1")), between.join(" | "));
    assertEquals(await s.proc.status.then((st) => st.code), 70);
  } finally {
    await s.stop("SIGKILL");
    await sd.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
