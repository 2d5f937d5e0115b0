/**
 * Scale-out behind Debian's haproxy: two instances on one memcached, round robin, each behind a
 * listener that requires the PROXY protocol (one v2, one v1), haproxy connecting from
 * 127.0.0.2 and clients from other loopback addresses, so the real client can be told from the
 * balancer. A third instance sits behind `option forwardfor` (X-Forwarded-For). Real haproxy,
 * real memcached, real curl.
 *
 * "Loses no request", in the step that stops an instance mid-load: every request a client sent
 * through haproxy got a complete 200 with the file's exact bytes; none got a 5xx from haproxy,
 * a reset or a timeout; and every one of them was answered by an instance (their access logs
 * hold at least as many lines as requests sent; more when haproxy retried a request whose
 * answer was lost with the connection, which a GET allows).
 */
import assert from "node:assert/strict";
import { Connection, targetOf } from "../tools/http_client.ts";
import { curlFrom, lowFreePort, startHaproxy } from "./helpers/haproxy.ts";
import { startMemcached } from "./helpers/memcached.ts";
import { join } from "./helpers/paths.ts";
import {
  eventually,
  rawExchange,
  startServer,
  tempDir,
  type TestServer,
} from "./helpers/server.ts";

const KEY = "load-balancer-test-key-0123456789";
const PROXY = "127.0.0.2"; // haproxy's source address towards the instances

// deno-lint-ignore no-explicit-any
type Json = any;

/** Status JSON through haproxy until both instances (by pid) have answered once. */
async function statusOfBoth(
  url: string,
  pids: number[],
  from = "127.0.0.1",
): Promise<Map<number, Json>> {
  const seen = new Map<number, Json>();
  for (let i = 0; i < 20 && seen.size < pids.length; i++) {
    const r = await curlFrom(from, `${url}/server-status?json`);
    assert.equal(r.status, 200, r.head);
    const j = JSON.parse(r.body);
    seen.set(j.instance.pid, j);
  }
  assert.deepEqual([...seen.keys()].sort(), [...pids].sort(), "both instances answered");
  return seen;
}

function count(rows: Array<{ name: string; count: number }> | undefined, name: string): number {
  return rows?.find((r) => r.name === name)?.count ?? 0;
}

function logLines(s: TestServer, name: "access.log" | "error.log"): string[] {
  return s.readLog(name).split("\n").filter((l) => l !== "");
}

/** memcached's value for a key, over its text protocol. */
async function memcachedGet(port: number, key: string): Promise<string | null> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await c.write(new TextEncoder().encode(`get ${key}\r\n`));
  let text = "";
  const buf = new Uint8Array(4096);
  while (!text.endsWith("END\r\n")) {
    const n = await c.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  c.close();
  const m = /^VALUE \S+ \d+ \d+\r\n(.*)\r\nEND\r\n$/s.exec(text);
  return m === null ? null : m[1]!;
}

Deno.test("two instances behind haproxy: sessions, real client addresses, counters, an instance stopped mid-load", async (t) => {
  const mc = await startMemcached();
  const common = {
    Memcached: `127.0.0.1:${mc.port}`,
    MemcachedTimeout: "2s",
    SessionKey: KEY,
    ServerStatus: "On",
    ServerStatusAllow: "127.0.0.1",
    TrustedProxies: PROXY,
    ShutdownGrace: "5s",
  };
  const servers: TestServer[] = [];
  let hp: Awaited<ReturnType<typeof startHaproxy>> | null = null;
  try {
    const a = await startServer({ conf: { ...common, ProxyProtocol: "On" } });
    const b = await startServer({ conf: { ...common, ProxyProtocol: "On" } });
    const c = await startServer({ conf: { ...common, ServerStatusAllow: "127.0.0.7" } });
    servers.push(a, b, c);
    const xffPort = lowFreePort();
    hp = await startHaproxy(
      tempDir(),
      `global
  maxconn 2000
  stats socket %SOCK% mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 15s
  timeout server 15s
  timeout check 1s
  retries 3
  option redispatch 1
  retry-on all-retryable-errors
frontend fe
  bind 127.0.0.1:%PORT%
  default_backend pp
backend pp
  balance roundrobin
  server a 127.0.0.1:${a.port} send-proxy-v2 source ${PROXY} check inter 200ms fall 1 rise 1
  server b 127.0.0.1:${b.port} send-proxy source ${PROXY} check inter 200ms fall 1 rise 1
frontend fe_xff
  bind 127.0.0.1:${xffPort}
  default_backend xff
backend xff
  option forwardfor
  server c 127.0.0.1:${c.port} source ${PROXY}
`,
    );
    const url = hp.url;
    const xffUrl = `http://127.0.0.1:${xffPort}`;
    const pids = [a.proc.pid, b.proc.pid];
    // Both instances up and healthy in haproxy's eyes before the steps begin.
    await eventually(async () => (await statusOfBoth(url, pids)).size === 2, 10_000, "both up");

    await t.step(
      "a listener that requires the PROXY protocol closes a connection without it",
      async () => {
        const r = await rawExchange(a.port, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
        assert.equal(r, "");
      },
    );

    let sid = "";
    await t.step("a client's session survives moving between instances", async () => {
      const first = await curlFrom("127.0.0.6", `${url}/index.html?s=0`);
      assert.equal(first.status, 200);
      sid = /^Set-Cookie: sid=([A-Za-z0-9_-]+);/mi.exec(first.head)?.[1] ?? "";
      assert.ok(sid !== "", first.head);
      for (let i = 1; i <= 6; i++) {
        const r = await curlFrom("127.0.0.6", `${url}/index.html?s=${i}`, { Cookie: `sid=${sid}` });
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.head, /^Set-Cookie:/mi, `request ${i} kept its session`);
      }
      await eventually(
        () => {
          const onA = logLines(a, "access.log").filter((l) => /\?s=[1-6] /.test(l)).length;
          const onB = logLines(b, "access.log").filter((l) => /\?s=[1-6] /.test(l)).length;
          return onA > 0 && onB > 0 && onA + onB === 6;
        },
        5000,
        "requests with the cookie on both instances",
      );
      // The session record in memcached names the real client, not the balancer.
      await eventually(
        async () => {
          const record = await memcachedGet(mc.port, `hs:s:${sid.slice(0, 24)}`);
          // (Its request count is not asserted: two instances flushing the same session at
          // once each read, add and write it back, and one update can be lost.)
          return record !== null && /"a":"127\.0\.0\.6:\d+"/.test(record);
        },
        5000,
        "the session record names 127.0.0.6",
      );
    });

    await t.step(
      "access log, error log, counters and the status allow-list see the real client (PROXY v1 and v2)",
      async () => {
        // Three of each in a row: round robin gives each kind to both instances.
        for (let i = 0; i < 3; i++) {
          assert.equal((await curlFrom("127.0.0.5", `${url}/hello.txt?from=5`)).status, 200);
        }
        for (let i = 0; i < 3; i++) {
          assert.equal((await curlFrom("127.0.0.5", `${url}/missing-${i}`)).status, 404);
        }
        await eventually(
          () =>
            [a, b].every((s) =>
              logLines(s, "access.log").some((l) =>
                l.startsWith("127.0.0.5 - - ") && l.includes("?from=5")
              )
            ) &&
            [a, b].every((s) =>
              logLines(s, "error.log").some((l) => /\[client 127\.0\.0\.5:\d+\] .*missing-/.test(l))
            ),
          5000,
          "127.0.0.5 in both instances' logs",
        );
        for (const s of [a, b]) {
          assert.ok(
            !logLines(s, "access.log").some((l) => l.startsWith(`${PROXY} `)),
            "the balancer is never logged as the client",
          );
        }
        // The allow-list (127.0.0.1) sees the client: 127.0.0.5 is refused by both instances.
        for (let i = 0; i < 2; i++) {
          assert.equal((await curlFrom("127.0.0.5", `${url}/server-status`)).status, 403);
        }
        const both = await statusOfBoth(url, pids);
        await eventually(
          async () => {
            const j = [...(await statusOfBoth(url, pids)).values()][0];
            const row = j.cluster.resources.find((r: { name: string }) => r.name === "/hello.txt");
            return row !== undefined && /^127\.0\.0\.5:\d+$/.test(row.lastClient);
          },
          5000,
          "the counters' last client of /hello.txt is 127.0.0.5",
        );
        assert.equal(both.size, 2);
      },
    );

    await t.step(
      "a spoofed X-Forwarded-For or Forwarded from an untrusted client changes nothing",
      async () => {
        const spoof = { "X-Forwarded-For": "127.0.0.1", Forwarded: "for=127.0.0.1" };
        for (let i = 0; i < 2; i++) {
          assert.equal(
            (await curlFrom("127.0.0.5", `${url}/server-status?spoof`, spoof)).status,
            403,
          );
        }
        // Behind option forwardfor: haproxy appends the real client; the right-most untrusted wins.
        assert.equal((await curlFrom("127.0.0.7", `${xffUrl}/server-status?xff`)).status, 200);
        assert.equal((await curlFrom("127.0.0.7", `${xffUrl}/missing-xff`)).status, 404);
        assert.equal(
          (await curlFrom("127.0.0.8", `${xffUrl}/server-status?spoof`, {
            "X-Forwarded-For": "127.0.0.7",
          })).status,
          403,
        );
        // Straight to the instance, not through a trusted proxy: the header is ignored.
        const direct = await rawExchange(
          c.port,
          "GET /server-status?direct HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.7\r\nConnection: close\r\n\r\n",
        );
        assert.match(direct, /^HTTP\/1\.1 403 /);
        // Each worker hands its access lines over on its own schedule (AccessLogFlush): wait
        // for all three, which may have come through different workers.
        await eventually(
          () =>
            ["?direct", "?xff", "?spoof"].every((q) =>
              logLines(c, "access.log").some((l) => l.includes(q))
            ) && c.readLog("error.log").includes("missing-xff"),
          5000,
          "c's log",
        );
        const cLog = logLines(c, "access.log");
        assert.ok(cLog.some((l) => l.startsWith("127.0.0.7 ") && l.includes("?xff ")));
        // The 404's error.log line names the client too (no port: the header gives none).
        assert.match(c.readLog("error.log"), /\[client 127\.0\.0\.7:0\] .*missing-xff/);
        assert.ok(cLog.some((l) => l.startsWith("127.0.0.8 ") && l.includes("?spoof ")));
        assert.ok(cLog.some((l) => l.startsWith("127.0.0.1 ") && l.includes("?direct ")));
        for (const s of [a, b]) {
          assert.ok(
            !logLines(s, "access.log").some((l) =>
              l.includes("?spoof") && !l.startsWith("127.0.0.5 ")
            ),
          );
        }
      },
    );

    await t.step("the status page's counters add up across both instances", async () => {
      const n = 20;
      for (let i = 0; i < n; i++) {
        assert.equal((await curlFrom("127.0.0.1", `${url}/docs/guide.pdf?i=${i}`)).status, 200);
      }
      let last: Map<number, Json> = new Map();
      await eventually(
        async () => {
          last = await statusOfBoth(url, pids);
          const [ja, jb] = pids.map((p) => last.get(p));
          const own = count(ja.instance.counters.resources, "/docs/guide.pdf") +
            count(jb.instance.counters.resources, "/docs/guide.pdf");
          return own === n && count(ja.cluster.resources, "/docs/guide.pdf") === n &&
            count(jb.cluster.resources, "/docs/guide.pdf") === n;
        },
        8000,
        "each instance's count + the other's = the cluster's = requests sent",
      );
      const [ja, jb] = pids.map((p) => last.get(p));
      assert.ok(count(ja.instance.counters.resources, "/docs/guide.pdf") > 0);
      assert.ok(count(jb.instance.counters.resources, "/docs/guide.pdf") > 0);
      assert.equal(ja.instance.store.state, "up");
    });

    await t.step(
      "one instance stopped mid-load: no request is lost, haproxy retries on the other",
      async () => {
        const file = Deno.readFileSync(join(a.root, "hello.txt"));
        const target = targetOf(url);
        const until = Date.now() + 3000;
        let sent = 0;
        const failures: string[] = [];
        const client = async (id: number) => {
          let conn: Connection | null = null;
          while (Date.now() < until) {
            const n = sent++;
            try {
              conn ??= await Connection.open(target);
              const r = await conn.exchange({
                method: "GET",
                target: `/hello.txt?load=${id}-${n}`,
              });
              if (
                r.status !== 200 || r.body.length !== file.length ||
                !r.body.every((x, i) => x === file[i])
              ) {
                failures.push(`request ${n}: ${r.statusLine}, ${r.body.length} bytes`);
              }
              if (conn.closed) conn = null;
            } catch (e) {
              failures.push(`request ${n}: ${e instanceof Error ? e.message : e}`);
              conn?.close();
              conn = null;
            }
          }
          conn?.close();
        };
        const load = Promise.all(Array.from({ length: 6 }, (_, i) => client(i)));
        await eventually(
          () => logLines(b, "access.log").filter((l) => l.includes("?load=")).length > 300,
          5000,
          "load on b",
        );
        assert.equal(await b.stop(), 0, "b stops cleanly (SIGTERM) in the middle of the load");
        await load;
        assert.deepEqual(failures, [], `${failures.length} of ${sent} requests lost`);
        await eventually(
          () => {
            const onA = logLines(a, "access.log").filter((l) => l.includes("?load=")).length;
            const onB = logLines(b, "access.log").filter((l) => l.includes("?load=")).length;
            return onA + onB >= sent;
          },
          5000,
          "every request answered by an instance",
        );
        const afterStop = logLines(a, "access.log").filter((l) => l.includes("?load=")).length;
        assert.ok(afterStop > 0, "a took the load");
        const stats = await hp!.stats();
        assert.equal(stats.get("pp/BACKEND")?.["hrsp_5xx"], "0", "haproxy answered no 5xx");
        assert.equal(
          stats.get("pp/b")?.["status"]?.startsWith("DOWN"),
          true,
          "haproxy saw b go down",
        );
      },
    );
  } finally {
    await hp?.stop();
    for (const s of servers) await s.stop();
    await mc.stop();
  }
});
