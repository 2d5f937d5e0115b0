/**
 * Worker faults, black-box: the real server with a worker entry that can be made to crash or
 * to hang (tests/fixtures/faulty_worker.ts). A dead or stuck worker is replaced; the other
 * worker's connections and new connections are served throughout.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { KeepAliveConn } from "./helpers/load_client.ts";
import {
  eventually,
  rawExchange,
  REPO,
  startServer,
  statusOf,
  tempDir,
  type TestServer,
} from "./helpers/server.ts";

const FAULTY = join(REPO, "tests", "fixtures", "faulty_main.ts");

/** A keep-alive connection and the worker serving it. */
interface Placed {
  readonly conn: KeepAliveConn;
  readonly worker: number;
}

/**
 * Open keep-alive connections until workers 1 and 2 each hold at least one. Which worker took
 * a connection is read from error.log: each sends a request for a unique missing file, and its
 * 404 line carries the worker's id (`[pid P:tid N]`).
 */
async function placeConnections(s: TestServer): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let round = 0; round < 8; round++) {
    const batch: Array<{ conn: KeepAliveConn; tag: string }> = [];
    for (let i = 0; i < 8; i++) {
      const conn = await KeepAliveConn.open(s.port);
      const tag = `/probe-${crypto.randomUUID()}`;
      assertEquals((await conn.get(tag))?.status, 404);
      batch.push({ conn, tag });
    }
    await eventually(() => batch.every((b) => s.readLog("error.log").includes(b.tag)));
    const log = s.readLog("error.log");
    for (const b of batch) {
      const line = log.split("\n").find((l) => l.includes(b.tag))!;
      placed.push({ conn: b.conn, worker: Number(/\[pid \d+:tid (\d+)\]/.exec(line)![1]) });
    }
    if ([1, 2].every((w) => placed.some((p) => p.worker === w))) return placed;
  }
  throw new Error("the connections all went to one worker");
}

interface Instance {
  restarts: number;
  workers: Array<{ id: number; state: string }>;
}

async function instance(port: number): Promise<Instance> {
  const r = await rawExchange(
    port,
    "GET /server-status?json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  return JSON.parse(r.slice(r.indexOf("\r\n\r\n") + 4)).instance as Instance;
}

/**
 * After worker 1 was made to fail: it is replaced, the connections of worker 2 are served as
 * if nothing happened, those of worker 1 end (they do not hang), new connections are served.
 */
async function checkRecovery(s: TestServer, placed: Placed[]): Promise<void> {
  for (const p of placed.filter((p) => p.worker === 2)) {
    const r = await p.conn.get("/hello.txt");
    assertEquals(r?.status, 200, "a connection of the other worker is unaffected");
  }
  for (const p of placed.filter((p) => p.worker === 1)) {
    const r = await p.conn.get("/hello.txt").catch(() => null);
    assertEquals(r, null, "a connection of the failed worker ends");
  }
  await eventually(
    async () => {
      const i = await instance(s.port);
      return i.restarts === 1 && i.workers.every((w) => w.state === "ready");
    },
    10_000,
    "the replacement",
  );
  for (let i = 0; i < 20; i++) {
    const r = await rawExchange(
      s.port,
      "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assertEquals(statusOf(r), 200);
  }
}

Deno.test("a worker that dies at once is replaced; other connections and new ones are unaffected", async () => {
  const faults = tempDir();
  const s = await startServer({ entry: FAULTY, env: { HTTPSERVER_FAULT_DIR: faults } });
  let placed: Placed[] = [];
  try {
    placed = await placeConnections(s);
    Deno.writeTextFileSync(join(faults, "crash-1"), "");
    await eventually(
      () =>
        /\[core:crit\].*worker 1 died \(.*injected crash.*\); starting a replacement/.test(
          s.readLog("error.log"),
        ),
      10_000,
      "the crit line",
    );
    await checkRecovery(s, placed);
    // stderr is a pipe read as it comes: it may arrive after the error.log line.
    await eventually(() => /worker 1 died/.test(s.stderr()), 5000, "the crit line on stderr");
  } finally {
    for (const p of placed) p.conn.close();
    assertEquals(await s.stop(), 0);
    Deno.removeSync(faults, { recursive: true });
  }
});

Deno.test("a worker stuck in a loop misses the heartbeat: the others finish their work, the process exits 70 to be replaced", async () => {
  // Deno cannot stop a thread that does not yield (worker.terminate() leaves it running, its
  // socket still taking new connections), so the replacement is a new process: systemd's
  // Restart=on-failure starts one on this exit status.
  const faults = tempDir();
  const s = await startServer({
    entry: FAULTY,
    env: { HTTPSERVER_FAULT_DIR: faults },
    conf: { WorkerHeartbeat: "2s" },
  });
  let placed: Placed[] = [];
  try {
    const big = new Uint8Array(16 * 1024 * 1024);
    for (let off = 0; off < big.length; off += 65536) {
      crypto.getRandomValues(big.subarray(off, off + 65536));
    }
    Deno.writeFileSync(join(s.root, "big.bin"), big);
    placed = await placeConnections(s);
    const others = placed.filter((p) => p.worker === 2);
    // A download in flight on the other worker, not read yet: the server is still sending it.
    await others[0]!.conn.send("/big.bin");
    Deno.writeTextFileSync(join(faults, "hang-1"), "");
    const stuck =
      /\[core:crit\].*worker 1 did not answer the heartbeat for 2s \(stuck in a loop or a blocking call, which Deno cannot interrupt\)/;
    // Until it is found out, the other worker serves as usual; then its idle connections close
    // with the shutdown (the crit line may reach the file a little after).
    const until = Date.now() + 30_000;
    serving: while (!stuck.test(s.readLog("error.log"))) {
      if (Date.now() > until) throw new Error("the stuck worker was not found out in 30 s");
      for (const p of others.slice(1)) {
        const r = await p.conn.get("/hello.txt").catch(() => null);
        if (r === null) {
          await eventually(() => stuck.test(s.readLog("error.log")), 10_000, "the crit line");
          break serving;
        }
        assertEquals(r.status, 200);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await others[0]!.conn.read();
    assertEquals(r?.status, 200);
    assertEquals(r?.body.length, big.length);
    assert.ok(r!.body.every((b, i) => b === big[i]), "the download is intact");
    const code = await Promise.race([
      s.proc.status.then((st) => st.code),
      new Promise<string>((res) => setTimeout(() => res("still running after 20 s"), 20_000)),
    ]);
    assertEquals(code, 70);
    const log = s.readLog("error.log");
    assert.match(
      log,
      /\[core:crit\].*a stuck worker cannot be replaced in this process: shutting down, exit status 70/,
    );
    assert.match(log, /shutdown complete/);
    await eventually(
      () => /worker 1 did not answer the heartbeat/.test(s.stderr()),
      5000,
      "the heartbeat line on stderr (the pipe may be read after the exit)",
    );
  } finally {
    for (const p of placed) p.conn.close();
    await s.stop("SIGKILL");
    Deno.removeSync(faults, { recursive: true });
  }
});
