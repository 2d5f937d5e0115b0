import assert from "node:assert/strict";
import { SILENT_AFTER_MS, StatusBoard } from "./status_board.ts";

const SESS = { issued: 1, resumed: 2, rejected: 0, renewed: 0, lookups: 0, unavailable: 0 };

function board(servers = "127.0.0.1:11211") {
  const clock = { now: 1_000_000 };
  const b = new StatusBoard({
    server: "httpserver/0",
    hostname: "h",
    pid: 1,
    workers: 2,
    sessions: true,
    servers,
    now: () => clock.now,
  });
  return { b, clock };
}

const down = (id: number, atStart = false) => ({
  type: "store" as const,
  id,
  state: "down" as const,
  atStart,
  detail: "connect ECONNREFUSED",
  servers: "127.0.0.1:11211",
});
const up = (id: number) => ({ ...down(id), state: "up" as const, detail: "" });

Deno.test("StatusBoard logs one line per outage whatever the number of workers", () => {
  const { b, clock } = board();
  assert.equal(b.onMessage(up(1)), null);
  const first = b.onMessage(down(1));
  assert.equal(first?.level, "error");
  assert.match(
    first!.message,
    /memcached 127\.0\.0\.1:11211 is unreachable \(connect ECONNREFUSED\)/,
  );
  assert.equal(b.onMessage(down(2)), null);
  assert.equal(b.onMessage(down(1)), null);
  assert.equal(b.snapshot(0).store.state, "down");
  clock.now += 4000;
  assert.equal(b.onMessage(up(1)), null, "worker 2 still cannot reach it");
  const back = b.onMessage(up(2));
  assert.equal(back?.level, "notice");
  assert.match(back!.message, /reachable again after 4 s/);
  assert.equal(b.snapshot(0).store.state, "up");
  assert.equal(b.onMessage(up(2)), null);
});

Deno.test("StatusBoard words an outage at start-up as a warning", () => {
  const { b } = board();
  const w = b.onMessage(down(1, true));
  assert.equal(w?.level, "warn");
  assert.match(w!.message, /at start-up/);
});

Deno.test("StatusBoard.snapshot() sums workers, counters and sessions, and computes rates", () => {
  const { b, clock } = board("");
  b.onMessage({ type: "ready", id: 1 });
  b.onMessage({ type: "ready", id: 2 });
  const stats = (id: number, requests: number, n: number) => ({
    type: "stats" as const,
    id,
    stats: {
      connections: id,
      requests,
      bytes: requests * 10,
      tlsConnections: id - 1,
      tlsRequests: requests - 1,
    },
    counters: {
      requests: n,
      bytes: n * 10,
      classes: [0, n, 0, 0, 0],
      resources: [["/a", n, `c${id}`, clock.now] as const],
    },
    sessions: SESS,
  });
  b.onMessage(stats(1, 4, 4));
  clock.now += 2000;
  b.onMessage(stats(2, 6, 6));
  const s = b.snapshot(3);
  assert.equal(s.connections, 3);
  assert.equal(s.requests, 10);
  assert.equal(s.bytes, 100);
  assert.equal(s.restarts, 3);
  assert.equal(s.requestsPerSec, 3); // 6 more requests over 2 s
  assert.deepEqual(s.counters.resources, [{
    name: "/a",
    count: 10,
    lastClient: "c2",
    lastMs: clock.now,
  }]);
  assert.equal(s.sessions.issued, 2);
  assert.deepEqual(s.store, {
    kind: "memory",
    servers: "",
    state: "off",
    sinceMs: 1_000_000,
    detail: "",
  });
  assert.deepEqual(s.workers.map((w) => w.state), ["ready", "ready"]);
  assert.equal(s.https, null, "HTTPS off");
  clock.now += SILENT_AFTER_MS + 1;
  b.onMessage(stats(2, 6, 0));
  assert.deepEqual(b.snapshot(0).workers.map((w) => w.state), ["silent", "ready"]);
  b.stopping();
  assert.deepEqual(b.snapshot(0).workers.map((w) => w.state), ["stopping", "stopping"]);
});

Deno.test("StatusBoard keeps a replaced worker's session counts", () => {
  const { b } = board("");
  b.onMessage({ type: "ready", id: 1 });
  b.onMessage({
    type: "stats",
    id: 1,
    stats: { connections: 0, requests: 0, bytes: 0, tlsConnections: 0, tlsRequests: 0 },
    counters: null,
    sessions: SESS,
  });
  b.onMessage({ type: "ready", id: 1 }); // the replacement
  b.onMessage({
    type: "stats",
    id: 1,
    stats: { connections: 0, requests: 0, bytes: 0, tlsConnections: 0, tlsRequests: 0 },
    counters: null,
    sessions: SESS,
  });
  assert.equal(b.snapshot(1).sessions.resumed, 4);
  assert.equal(b.onMessage({ type: "ready", id: 9 }), null, "unknown ids are ignored");
});

Deno.test("StatusBoard adds the workers' TLS counts to the main thread's HTTPS view", () => {
  const b = new StatusBoard({
    server: "httpserver/0",
    hostname: "h",
    pid: 1,
    workers: 2,
    sessions: false,
    servers: "",
    https: () => ({ listen: "https://127.0.0.1:1", certificate: null, problem: "waiting" }),
  });
  const tls = (id: number, tlsRequests: number) => ({
    type: "log" as const,
    id,
    access: null,
    errors: null,
    stderrText: "",
    stats: { connections: 3, requests: 10, bytes: 0, tlsConnections: 2, tlsRequests },
  });
  b.onMessage({ type: "ready", id: 1 });
  b.onMessage({ type: "ready", id: 2 });
  b.onMessage(tls(1, 4));
  b.onMessage(tls(2, 5));
  assert.deepEqual(b.snapshot(0).https, {
    listen: "https://127.0.0.1:1",
    certificate: null,
    problem: "waiting",
    connections: { http: 2, https: 4 },
    requests: { http: 11, https: 9 },
  });
  b.onMessage({ type: "ready", id: 2 }); // replaced: its count is kept
  assert.deepEqual(b.snapshot(0).https?.requests, { http: 11, https: 9 });
});
