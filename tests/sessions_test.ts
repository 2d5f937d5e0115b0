/**
 * Black-box tests of sessions, counters and the status page: real server processes, a real
 * memcached on a free port (stopped by PID), raw HTTP over TCP.
 */
import assert from "node:assert/strict";
import { freePort, SilentServer, startMemcached } from "./helpers/memcached.ts";
import { rawExchange, startServer, statusOf, type TestServer } from "./helpers/server.ts";

const KEY = "sessions-test-key-0123456789";
/** MemcachedTimeout of the tests about it: short, so a wait on a store that never answers ends. */
const TIMEOUT_MS = 50;
/**
 * MemcachedTimeout of the other tests: a local memcached on a busy machine may take longer than
 * 50 ms now and then, which would count as an outage where none is being tested.
 */
const RELAXED_TIMEOUT = "2s";
/**
 * How long a client waits for an answer: generous for a busy machine. No test asserts how long
 * a response took; what bounds a wait on memcached is shown by comparison (see the frozen test).
 */
const ANSWER_MS = 5000;

interface Reply {
  status: number;
  head: string;
  body: string;
}

function reply(raw: string): Reply {
  const cut = raw.indexOf("\r\n\r\n");
  return { status: statusOf(raw), head: raw.slice(0, cut), body: raw.slice(cut + 4) };
}

function request(path: string, cookie?: string, method = "GET"): string {
  const c = cookie === undefined ? "" : `Cookie: sid=${cookie}\r\n`;
  return `${method} ${path} HTTP/1.1\r\nHost: t\r\n${c}Connection: close\r\n\r\n`;
}

async function get(s: TestServer, path: string, cookie?: string, method = "GET"): Promise<Reply> {
  return reply(await rawExchange(s.port, request(path, cookie, method), { idleMs: ANSWER_MS }));
}

function cookieOf(r: Reply): string | null {
  const m = /^Set-Cookie: sid=([A-Za-z0-9_-]{52}); Path=\/; HttpOnly; SameSite=Lax$/mi.exec(r.head);
  return m?.[1] ?? null;
}

function tamper(v: string): string {
  return v.slice(0, 10) + (v[10] === "A" ? "B" : "A") + v.slice(11);
}

// deno-lint-ignore no-explicit-any
async function statusJson(s: TestServer): Promise<any> {
  const r = await get(s, "/server-status?json");
  assert.equal(r.status, 200, r.head);
  return JSON.parse(r.body);
}

async function poll<T>(what: string, f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 8000) {
  const until = Date.now() + ms;
  let last: T = await f();
  while (!ok(last)) {
    if (Date.now() > until) {
      throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    last = await f();
  }
  return last;
}

function countLines(s: TestServer, re: RegExp): number {
  return s.readLog("error.log").split("\n").filter((l) => re.test(l)).length;
}

/**
 * error.log lines matching `re`, after a request that logs a 404 (LogNotFound is On): the
 * error log's file sink writes a buffered line only when a later record arrives.
 */
async function loggedLines(s: TestServer, re: RegExp): Promise<number> {
  await get(s, "/no-such-file");
  return countLines(s, re);
}

function hello(j: { resources: Array<{ name: string; count: number }> } | null): number {
  return j?.resources.find((r) => r.name === "/hello.txt")?.count ?? 0;
}

function conf(mc: { port: number } | null, extra: Record<string, string> = {}) {
  return {
    conf: {
      Memcached: mc === null ? "" : `127.0.0.1:${mc.port}`,
      MemcachedTimeout: RELAXED_TIMEOUT,
      SessionKey: KEY,
      ServerStatus: "On",
      ServerStatusAllow: "127.0.0.1 ::1",
      // These tests are about the session mechanism, on any file; the default scope (html) is
      // tested in core_test.ts.
      SessionCookieScope: "all",
      ...extra,
    },
  };
}

async function stopAll(servers: TestServer[], mc: { stop(): Promise<void> } | null) {
  for (const s of servers) assert.equal(await s.stop(), 0);
  await mc?.stop();
}

Deno.test("two instances share one memcached: sessions cross over, counters add up", async () => {
  const mc = await startMemcached();
  const a = await startServer(conf(mc));
  const keyFile = `${a.dir}/session.key`;
  Deno.writeTextFileSync(keyFile, `${KEY}\n`); // B reads the same key from a file
  const b = await startServer(conf(mc, { SessionKey: "", SessionKeyFile: keyFile }));
  try {
    const first = await get(a, "/hello.txt");
    const v = cookieOf(first);
    assert.ok(v !== null, `a new client gets a cookie:\n${first.head}`);
    const onB = await get(b, "/hello.txt", v);
    assert.equal(onB.status, 200);
    assert.equal(cookieOf(onB), null, "instance B accepts A's cookie: no new Set-Cookie");
    assert.ok(!/^Set-Cookie:/mi.test(onB.head));
    const bad = await get(b, "/hello.txt", tamper(v));
    const fresh = cookieOf(bad);
    assert.ok(fresh !== null && fresh !== v, "a tampered cookie gets a fresh session");
    assert.equal(cookieOf(await get(a, "/hello.txt", fresh)), null, "the fresh one is valid");
    for (let i = 0; i < 3; i++) assert.equal(cookieOf(await get(a, "/hello.txt", v)), null);
    for (let i = 0; i < 2; i++) assert.equal(cookieOf(await get(b, "/hello.txt", v)), null);
    const total = 1 + 1 + 1 + 1 + 3 + 2;
    const ja = await poll(
      "cluster counts on A",
      () => statusJson(a),
      // A batch's increments are separate keys, written in parallel: poll until all are in.
      (j) =>
        hello(j.cluster) === total && j.cluster.requests >= total &&
        j.cluster.classes[1] >= total,
    );
    assert.equal(hello(ja.instance.counters), 1 + 1 + 3, "A's own count is per instance");
    assert.ok(ja.cluster.requests >= total);
    assert.ok(ja.cluster.classes[1] >= total);
    const jb = await poll(
      "cluster counts on B",
      () => statusJson(b),
      (j) => hello(j.cluster) === total,
    );
    assert.equal(hello(jb.instance.counters), 1 + 1 + 2);
    assert.equal(jb.instance.store.state, "up");
    assert.ok(ja.instance.sessions.rejected === 0 && jb.instance.sessions.rejected === 1);
  } finally {
    await stopAll([a, b], mc);
  }
  assert.equal(countLines(a, /unreachable/), 0);
});

/**
 * SessionTTL of the test below. A session A refreshes in every poll is at most about 1.5 s
 * stale in memcached (pause, the once-a-second batch): 5 s leaves 3.5 s for a slow machine.
 */
const TTL_S = 5;
/** Probe cookies, one per poll of the test below: 300 ms apart, they cover TTL + 1 s many times. */
const PROBES = 64;

Deno.test("a session older than SessionTTL is found in memcached by the other instance", async () => {
  const mc = await startMemcached();
  const a = await startServer(conf(mc, { SessionTTL: `${TTL_S}s` }));
  const b = await startServer(conf(mc, { SessionTTL: `${TTL_S}s` }));
  try {
    const kept = cookieOf(await get(a, "/hello.txt"))!;
    const idle = cookieOf(await get(a, "/hello.txt"))!;
    // Issued after kept and idle, never sent back to A: when B must look one up (it is older
    // than the TTL by B's clock), so are kept and idle. Each is sent to B once, as B remembers
    // the cookies it has seen.
    const probes: string[] = [];
    for (let i = 0; i < PROBES; i++) probes.push(cookieOf(await get(a, "/hello.txt"))!);
    assert.equal(cookieOf(await get(a, "/hello.txt", kept)), null); // first return: record made
    let expired = false;
    for (const probe of probes) {
      // A keeps kept alive: last seen now, written to memcached within a second.
      assert.equal(cookieOf(await get(a, "/hello.txt", kept)), null, "A keeps kept");
      const r = await get(b, "/hello.txt", probe);
      assert.equal(r.status, 200);
      if (cookieOf(r) !== null) {
        expired = true; // never came back to A, so no record: renewed
        break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(expired, `no probe was older than the ${TTL_S} s TTL after ${PROBES} polls`);
    assert.equal(cookieOf(await get(b, "/hello.txt", kept)), null, "alive in memcached");
    const renewed = cookieOf(await get(b, "/hello.txt", idle));
    assert.ok(renewed !== null && renewed !== idle, "never came back: expired, renewed");
    const j = await poll(
      "B's session counts",
      () => statusJson(b),
      (j) => j.instance.sessions.lookups >= 3,
    );
    // Looked up: the last probe, kept and idle; renewed: the probe and idle.
    assert.equal(j.instance.sessions.lookups, 3);
    assert.equal(j.instance.sessions.renewed, 2);
  } finally {
    await stopAll([a, b], mc);
  }
});

Deno.test("memcached killed mid-test: responses keep coming, one error line, then recovery", async () => {
  const mc = await startMemcached();
  const a = await startServer(conf(mc));
  try {
    const v = cookieOf(await get(a, "/hello.txt"))!;
    await poll("counts in memcached", () => statusJson(a), (j) => hello(j.cluster) === 1);
    // On a loaded machine a slow answer may already have counted as an outage and a recovery;
    // what this test pins is the outage that starts now, with memcached up at this point.
    await poll("the store up", () => statusJson(a), (j) => j.instance.store.state === "up");
    const down0 = await loggedLines(a, /\[session:error\].*unreachable/);
    const up0 = countLines(a, /\[session:notice\].*reachable again/);
    await mc.stop();
    // Requests for at least 3 s (several background probes fail meanwhile), each answered.
    const until = Date.now() + 3000;
    let n = 0;
    while (Date.now() < until) {
      const r = await get(a, "/hello.txt", n % 2 === 0 ? v : undefined);
      assert.equal(r.status, 200);
      n++;
      await new Promise((r) => setTimeout(r, 50));
    }
    await poll(
      "the outage line",
      () => loggedLines(a, /\[session:error\].*unreachable/),
      (c) => c === down0 + 1,
    );
    assert.equal(
      countLines(a, /\[session:error\].*unreachable/),
      down0 + 1,
      "one line per outage, not one per request",
    );
    const during = await statusJson(a);
    assert.equal(during.instance.store.state, "down");
    assert.equal(during.cluster, null);
    await mc.start(); // same port
    await poll(
      "the recovery line",
      async () => {
        await get(a, "/hello.txt", v);
        return loggedLines(a, /\[session:notice\].*reachable again/);
      },
      (c) => c === up0 + 1,
      10_000,
    );
    const after = await poll("counts replayed", () => statusJson(a), (j) => hello(j.cluster) >= n);
    assert.equal(after.instance.store.state, "up");
    assert.equal(countLines(a, /\[session:error\].*unreachable/), down0 + 1);
  } finally {
    await stopAll([a], mc);
  }
});

Deno.test("memcached that accepts but never answers: the probe gives up, responses come, sessions kept", async () => {
  const silent = new SilentServer();
  const a = await startServer(
    conf(silent, { SessionTTL: "1s", MemcachedTimeout: `${TIMEOUT_MS}ms` }),
  );
  try {
    const r1 = await get(a, "/hello.txt");
    assert.equal(r1.status, 200);
    const v = cookieOf(r1)!;
    assert.equal((await get(a, "/hello.txt", v)).status, 200);
    // The start-up probe got no answer and gave up: the store is down, so lookups do not wait.
    await poll(
      "the store marked down",
      () => statusJson(a),
      (j) => j.instance.store.state === "down",
    );
    // A timer never fires early: after this, v is older than the TTL and needs a lookup.
    await new Promise((r) => setTimeout(r, 2100));
    for (let i = 0; i < 5; i++) {
      const r = await get(a, "/hello.txt", v);
      assert.equal(r.status, 200, "answered while the store never answers");
      assert.equal(cookieOf(r), null, "the store cannot answer: the session is kept");
    }
    // A worker that keeps a session for want of an answer counts it as seen: one lookup per
    // worker that got one of the requests.
    const j = await poll(
      "the lookups counted",
      () => statusJson(a),
      (j) => j.instance.sessions.lookups >= 1,
    );
    assert.ok(j.instance.sessions.lookups <= 2, `${j.instance.sessions.lookups} lookups`);
    assert.equal(j.instance.sessions.unavailable, j.instance.sessions.lookups, "none answered");
    await poll(
      "the start-up warning",
      () => loggedLines(a, /\[session:warn\].*unreachable at start-up/),
      (c) => c === 1,
    );
    assert.ok(silent.accepted > 0, "the server did try the fake memcached");
  } finally {
    await stopAll([a], null);
    await silent.close();
  }
  assert.equal(countLines(a, /unreachable/), 1);
});

Deno.test("memcached frozen (SIGSTOP) mid-run: a lookup waits MemcachedTimeout, not for memcached", async () => {
  const mc = await startMemcached();
  // Same memcached, same key, but `patient` would wait a minute (the most MemcachedTimeout
  // allows) for an answer: it shows what ends a's wait is a's timeout, with no clock read.
  const [a, patient] = await Promise.all([
    startServer(conf(mc, { SessionTTL: "1s", Workers: "1", MemcachedTimeout: `${TIMEOUT_MS}ms` })),
    startServer(conf(mc, { SessionTTL: "1s", Workers: "1", MemcachedTimeout: "60s" })),
  ]);
  try {
    const v = cookieOf(await get(a, "/hello.txt"))!;
    assert.equal(cookieOf(await get(a, "/hello.txt", v)), null);
    for (const s of [a, patient]) {
      await poll("the store up", () => statusJson(s), (j) => j.instance.store.state === "up");
    }
    // A timer never fires early: after this, v was issued and last seen more than a TTL ago.
    await new Promise((r) => setTimeout(r, 2100));
    mc.signal("SIGSTOP");
    let patientAnswered = false;
    const late = rawExchange(patient.port, request("/hello.txt", v), { idleMs: 120_000 })
      .then((raw) => {
        patientAnswered = true;
        return reply(raw);
      });
    const r = await get(a, "/hello.txt", v);
    assert.equal(r.status, 200);
    assert.equal(cookieOf(r), null, "store did not answer in time: session kept");
    assert.equal(patientAnswered, false, "the same lookup with a minute's timeout still waits");
    const j = await poll(
      "a's lookup counted",
      () => statusJson(a),
      (j) => j.instance.sessions.lookups >= 1,
    );
    assert.equal(j.instance.sessions.lookups, 1);
    assert.equal(j.instance.sessions.unavailable, 1, "the lookup got no answer");
    await poll(
      "the outage line",
      () => loggedLines(a, /\[session:error\].*unreachable/),
      (c) => c === 1,
    );
    assert.equal(patientAnswered, false, "memcached frozen: still no answer for patient");
    mc.signal("SIGCONT");
    assert.equal((await late).status, 200, "patient answered once memcached was back");
    await poll(
      "the recovery line",
      () => loggedLines(a, /reachable again/),
      (c) => c === 1,
      10_000,
    );
  } finally {
    await stopAll([a, patient], mc);
  }
});

Deno.test("no memcached reachable: the server runs on the in-process store with one warning", async () => {
  const a = await startServer({
    conf: { Memcached: `127.0.0.1:${freePort()}`, SessionKey: "", ServerStatus: "On" },
  });
  try {
    const r = await get(a, "/hello.txt");
    assert.equal(r.status, 200);
    const v = cookieOf(r)!;
    assert.equal(cookieOf(await get(a, "/hello.txt", v)), null);
    await poll(
      "the warning",
      () => loggedLines(a, /\[session:warn\].*unreachable at start-up/),
      (c) => c === 1,
    );
    const j = await statusJson(a);
    assert.equal(j.instance.store.state, "down");
    assert.equal(j.cluster, null);
    assert.equal(a.stdout().trim().split("\n").length, 1, "stdout keeps only the listening line");
  } finally {
    await stopAll([a], null);
  }
  assert.equal(countLines(a, /unreachable/), 1);
  assert.equal(countLines(a, /\[core:warn\].*random key/), 1);
});

Deno.test("status page: allow-list, methods, HEAD, metrics, off by default; sessions off", async () => {
  const off = await startServer({ conf: { Sessions: "Off", ServerStatus: "Off" } });
  const denied = await startServer(conf(null, { ServerStatusAllow: "10.0.0.0/8 fd00::/8" }));
  const on = await startServer(conf(null, { LogLevel: "debug", Workers: "1" }));
  try {
    const r0 = await get(off, "/server-status");
    assert.equal(r0.status, 404);
    assert.equal(cookieOf(await get(off, "/hello.txt")), null, "Sessions Off: no cookie");
    assert.equal((await get(denied, "/server-status")).status, 403);
    assert.equal((await get(denied, "/server-status/metrics")).status, 403);
    const html = await get(on, "/server-status");
    assert.equal(html.status, 200);
    assert.match(html.head, /^Content-Type: text\/html; charset=utf-8$/mi);
    assert.match(html.head, /^Cache-Control: no-store$/mi);
    assert.match(html.body, /<meta http-equiv="refresh" content="5">/);
    assert.equal(cookieOf(html), null, "the status page sets no cookie");
    const head = await get(on, "/server-status", undefined, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    const post = await get(on, "/server-status", undefined, "POST");
    assert.equal(post.status, 405);
    assert.match(post.head, /^Allow: GET, HEAD$/mi);
    await get(on, "/hello.txt?q=1");
    const m = await poll(
      "metrics",
      () => get(on, "/server-status/metrics"),
      (r) => /resource="\/hello.txt"} 1/.test(r.body),
    );
    assert.match(m.head, /^Content-Type: text\/plain; version=0\.0\.4; charset=utf-8$/mi);
    assert.match(m.body, /^httpserver_session_store_up\{store="memory",servers=""\} 1$/m);
    await poll(
      "the debug line",
      () => loggedLines(on, /\[counter:debug\].* \/hello\.txt \| 127\.0\.0\.1 \| \d+ \| 1$/),
      (c) => c === 1,
    );
    assert.equal(on.stdout().trim().split("\n").length, 1);
  } finally {
    await stopAll([off, denied, on], null);
  }
});
