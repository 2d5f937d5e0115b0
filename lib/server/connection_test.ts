import { assertEquals } from "../http/test_assert.ts";
import type { AccessRecord } from "../log/access_log.ts";
import type { ResponsePlan } from "../static/plan.ts";
import type { Transport } from "./transport.ts";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionSettings,
  type ServerRequest,
} from "./connection.ts";
import { FramePool } from "./frame_pool.ts";
import { testSettings } from "./test_settings.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { ClientResolver } from "./client_address.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A transport fed from fixed input pieces; collects everything written. */
class MemoryTransport implements Transport {
  out = "";
  closed = false;
  constructor(private pieces: string[], private maxWrite = Infinity) {}
  read(p: Uint8Array): Promise<number | null> {
    const next = this.pieces.shift();
    if (next === undefined || this.closed) return Promise.resolve(null);
    const bytes = enc.encode(next);
    if (bytes.length > p.length) {
      this.pieces.unshift(dec.decode(bytes.subarray(p.length)));
    }
    const n = Math.min(p.length, bytes.length);
    p.set(bytes.subarray(0, n));
    return Promise.resolve(n);
  }
  write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.length, this.maxWrite); // partial writes, to prove the loop
    this.out += dec.decode(p.subarray(0, n));
    return Promise.resolve(n);
  }
  close(): void {
    this.closed = true;
  }
}

const SETTINGS: ConnectionSettings = testSettings(100);

function bytesPlan(
  status: number,
  text: string,
  extra: Array<[string, string]> = [],
): ResponsePlan {
  const data = enc.encode(text);
  return {
    status,
    fields: [["Content-Length", String(data.length)], ...extra],
    body: { kind: "bytes", data },
  };
}

/** Echo handler: body is "METHOD TARGET [body]". */
function hooks(log: AccessRecord[]): ConnectionHooks {
  return {
    async handle(req: ServerRequest) {
      let body = "";
      if (req.body !== null) { for await (const c of req.body) body += dec.decode(c); }
      return bytesPlan(200, `${req.method} ${req.target}${body === "" ? "" : " " + body}`);
    },
    errorPlan: (status) => bytesPlan(status, `error ${status}`),
    date: () => "Thu, 01 Jan 1970 00:00:00 GMT",
    access: (r) => log.push(r),
    error: () => {},
    draining: () => false,
  };
}

async function converse(
  pieces: string[],
  maxWrite = Infinity,
): Promise<{ out: string; log: AccessRecord[] }> {
  const t = new MemoryTransport(pieces, maxWrite);
  const log: AccessRecord[] = [];
  await new Connection(t, { ip: "10.0.0.1", port: 5 }, SETTINGS, hooks(log)).run();
  assertEquals(t.closed, true);
  return { out: t.out, log };
}

const R = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nServer: test\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

/** A transport that delivers `first`, then never sends another byte until it is closed. */
function stallingTransport(first: string): MemoryTransport {
  let release: (v: number | null) => void = () => {};
  const t = new MemoryTransport([]);
  let sent = false;
  t.read = (p: Uint8Array) => {
    if (!sent) {
      sent = true;
      const bytes = enc.encode(first);
      p.set(bytes);
      return Promise.resolve(bytes.length);
    }
    return new Promise((r) => (release = r));
  };
  const close = t.close.bind(t);
  t.close = () => {
    close();
    release(null);
  };
  return t;
}

Deno.test("Connection answers pipelined requests in order (golden transcript)", async () => {
  const input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n" +
    "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const { out, log } = await converse([input]);
  assertEquals(out, R("GET /a") + R("GET /b") + R("GET /c", "Connection: close\r\n"));
  assertEquals(log.map((l) => l.requestLine), [
    "GET /a HTTP/1.1",
    "GET /b HTTP/1.1",
    "GET /c HTTP/1.1",
  ]);
});

Deno.test("Connection gives the same transcript when input arrives a byte at a time and writes are partial", async () => {
  const input =
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz" +
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  const whole = await converse([input]);
  const bytewise = await converse([...input], 7);
  assertEquals(bytewise.out, whole.out);
  assertEquals(whole.out, R("GET /a") + R("PUT /b xyz") + R("POST /c hi"));
});

Deno.test("Connection closes HTTP/1.0 unless keep-alive is asked, and says keep-alive when it is", async () => {
  const { out } = await converse(["GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n"]);
  assertEquals(out, R("GET /a", "Connection: close\r\n"));
  const ka = await converse([
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
  ]);
  assertEquals(
    ka.out,
    R("GET /a", "Connection: keep-alive\r\n") + R("GET /b", "Connection: close\r\n"),
  );
});

Deno.test("Connection answers a parse error with its status and closes, ignoring what follows", async () => {
  const { out, log } = await converse([
    "GET / HTTP/1.1\r\nHost : x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
  ]);
  assertEquals(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), true);
  assertEquals(out.includes("Connection: close\r\n"), true);
  assertEquals(out.includes("GET /next"), false);
  assertEquals(log.map((l) => [l.status, l.requestLine]), [[400, "GET / HTTP/1.1"]]);
});

Deno.test("Connection maps semantic errors to 400/413/417/501/505 and closes", async () => {
  const cases: Array<[string, number]> = [
    ["GET / HTTP/1.1\r\n\r\n", 400],
    ["PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413],
    ["PUT / HTTP/1.1\r\nHost: x\r\nExpect: later\r\nContent-Length: 1\r\n\r\nx", 417],
    ["BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501],
    ["GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
    [
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" + "a".repeat(101) +
      "\r\n0\r\n\r\n",
      413,
    ],
  ];
  for (const [input, status] of cases) {
    const { out, log } = await converse([input + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n"]);
    assertEquals(out.slice(0, 12), `HTTP/1.1 ${status}`, input);
    assertEquals(out.includes("GET /next"), false, input);
    assertEquals(log.length, 1, input);
  }
});

Deno.test("Connection sends 100 Continue only when the handler reads the body", async () => {
  const { out } = await converse([
    "PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    "ok",
  ]);
  assertEquals(out, "HTTP/1.1 100 Continue\r\n\r\n" + R("PUT /u ok"));
});

/** A MemoryTransport that records TCP_NODELAY and writes in order. */
class NoDelayTransport extends MemoryTransport {
  events: string[] = [];
  setNoDelay(on: boolean): void {
    this.events.push(`nodelay ${on}`);
  }
  override write(p: Uint8Array): Promise<number> {
    this.events.push(`write ${dec.decode(p).split("\r\n")[0]}`);
    return super.write(p);
  }
}

Deno.test("Connection sets TCP_NODELAY once, before the first write of a connection that stays open", async () => {
  const run = async (pieces: string[]) => {
    const t = new NoDelayTransport(pieces);
    await new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks([])).run();
    return t.events;
  };
  const get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const last = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assertEquals(await run([get + get + last]), [
    "nodelay true",
    "write HTTP/1.1 200 OK",
    "write HTTP/1.1 200 OK",
    "write HTTP/1.1 200 OK",
  ]);
  // One response and the close: nothing for Nagle to hold back, no system call.
  assertEquals(await run([last]), ["write HTTP/1.1 200 OK"]);
  assertEquals(await run(["GET /a HTTP/1.0\r\n\r\n"]), ["write HTTP/1.1 200 OK"]);
  // An interim 100 Continue is followed by the final response on the same connection.
  assertEquals(
    await run([
      "PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n" +
      "Content-Length: 2\r\n\r\n",
      "ok",
    ]),
    ["nodelay true", "write HTTP/1.1 100 Continue", "write HTTP/1.1 200 OK"],
  );
});

Deno.test("Connection closes after MaxKeepAliveRequests responses", async () => {
  const t = new MemoryTransport(["GET /1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3)]);
  await new Connection(
    t,
    { ip: "1", port: 1 },
    { ...SETTINGS, maxRequestsPerConnection: 2 },
    hooks([]),
  ).run();
  assertEquals(t.out, R("GET /1") + R("GET /1", "Connection: close\r\n"));
});

Deno.test("Connection turns a handler exception into 500 and keeps the server up", async () => {
  const t = new MemoryTransport(["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
  const h = hooks([]);
  const errors: string[] = [];
  await new Connection(t, { ip: "1", port: 1 }, SETTINGS, {
    ...h,
    handle: () => Promise.reject(new Error("boom")),
    error: (level, m) => errors.push(`${level}:${m.split("\n")[0]}`),
  }).run();
  assertEquals(t.out.startsWith("HTTP/1.1 500 "), true);
  assertEquals(t.out.includes("Connection: close\r\n"), true, "a 500 closes the connection");
  assertEquals(
    errors.some((e) => e.startsWith("crit:handler failed for GET /: Error: boom")),
    true,
  );
});

Deno.test("Connection onTimeout() sends 408 to a client stuck mid-head and closes", async () => {
  const t = stallingTransport("GET / HT");
  const log: AccessRecord[] = [];
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks(log));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(c.phase, "head");
  c.onTimeout();
  await done;
  assertEquals(t.out.startsWith("HTTP/1.1 408 Request Timeout\r\n"), true);
  assertEquals(log.map((l) => l.status), [408]);
});

Deno.test("Connection evict() sends 503 with Retry-After to a head stuck midway, and closes", async () => {
  const t = stallingTransport("GET / HT");
  const log: AccessRecord[] = [];
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks(log));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(typeof c.waitingSince, "number", "waiting for its head: it may be evicted");
  c.evict();
  assertEquals(c.waitingSince, null, "a connection being evicted is not chosen again");
  await done;
  assertEquals(t.out.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), true, t.out);
  assertEquals(t.out.includes("\r\nRetry-After: 1\r\n"), true, t.out);
  assertEquals(t.out.includes("\r\nConnection: close\r\n"), true, t.out);
  assertEquals(log.map((l) => l.status), [503]);
});

Deno.test("Connection evict() closes an idle keep-alive connection without a word", async () => {
  const t = stallingTransport("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  const log: AccessRecord[] = [];
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks(log));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(c.phase, "idle");
  const answered = t.out;
  c.evict();
  await done;
  assertEquals(t.closed, true);
  assertEquals(t.out, answered);
  assertEquals(log.map((l) => l.status), [200]);
});

Deno.test("Connection is not evictable while it handles a request", async () => {
  const t = stallingTransport("PUT /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks([]));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(c.phase, "body");
  assertEquals(c.waitingSince, null);
  c.close();
  await done;
});

Deno.test("Connection writes the same bytes through pooled frames, also for concurrent connections", async () => {
  const input =
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const shared = bytesPlan(200, "same body");
  const run = async (pieces: string[], frames?: FramePool) => {
    const t = new MemoryTransport(pieces, 5);
    const h = {
      ...hooks([]),
      ...(frames ? { frames } : {}),
      handle: () => Promise.resolve(shared),
    };
    await new Connection(t, { ip: "1", port: 1 }, SETTINGS, h).run();
    return t.out;
  };
  const plain = await run([input]); // no frames: a fresh buffer per response
  assertEquals(plain, R("same body") + R("same body", "Connection: close\r\n"));
  const frames = new FramePool(1 << 20);
  const outs = await Promise.all([
    run([input], frames),
    run([...input], frames),
    run([input], frames),
  ]);
  for (const out of outs) assertEquals(out, plain);
  assertEquals(frames.bytes > 0, true, "frames were used");
});

Deno.test("Connection sends exactly one response when the unread body stalls and times out", async () => {
  // The rest of the body never comes.
  const t = stallingTransport("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc");
  const h = { ...hooks([]), handle: () => Promise.resolve(bytesPlan(200, "not read")) };
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, h);
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(c.phase, "body"); // draining the unread body
  c.onTimeout();
  await done;
  assertEquals(t.out.split("HTTP/1.1 ").length - 1, 1, t.out);
  assertEquals(t.out.startsWith("HTTP/1.1 408 "), true);
});

Deno.test("Connection reuses a closed connection's read buffer without seeing its old bytes", async () => {
  // The first client leaves a half-sent head behind in its buffer (and a long one, so every
  // byte of the next request lands on stale data); the next connections get recycled buffers.
  const stale = "GET /stale HTTP/1.1\r\nHost: x\r\nX-Junk: " + "j".repeat(1500);
  await converse([stale]);
  for (let i = 0; i < 3; i++) {
    const { out } = await converse([
      "GET /n",
      "ew HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]);
    assertEquals(out, R("GET /new", "Connection: close\r\n"));
  }
});

Deno.test("Connection answers nothing that arrives after it sent a 408", async () => {
  // The head timed out and the 408 is still being written when the rest of the head arrives.
  let deliver: (s: string) => void = () => {};
  let releaseWrite: () => void = () => {};
  const t = new MemoryTransport([]);
  let reads = 0;
  t.read = (p: Uint8Array) => {
    if (reads++ === 0) {
      p.set(enc.encode("GET /a HT"));
      return Promise.resolve(9);
    }
    return new Promise((res) => {
      deliver = (s) => {
        p.set(enc.encode(s));
        res(s.length);
      };
    });
  };
  const write = t.write.bind(t);
  t.write = (p: Uint8Array) => new Promise((res) => (releaseWrite = () => res(write(p))));
  const log: AccessRecord[] = [];
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, hooks(log));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 5));
  c.onTimeout();
  deliver("TP/1.1\r\nHost: x\r\n\r\n");
  await new Promise((r) => setTimeout(r, 5));
  releaseWrite();
  await done;
  assertEquals(t.out.startsWith("HTTP/1.1 408 Request Timeout\r\n"), true);
  assertEquals(t.out.includes("HTTP/1.1 200"), false);
  assertEquals(log.map((l) => l.status), [408]);
});

Deno.test("Connection gives a pooled frame back when a field cannot be written", async () => {
  const frames = new FramePool(1 << 20);
  const data = enc.encode("hello");
  const bad: ResponsePlan = {
    status: 200,
    fields: [["Content-Length", "5"], ["X-Bad", "a\r\nInjected: 1"]],
    body: { kind: "bytes", data },
  };
  const log: AccessRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const t = new MemoryTransport(["GET /a HTTP/1.1\r\nHost: x\r\n\r\n"]);
    const h = { ...hooks(log), frames, handle: () => bad };
    await new Connection(t, { ip: "1", port: 1 }, SETTINGS, h).run();
    assertEquals(t.out.includes("Injected"), false);
  }
  // The second and third responses borrowed a frame (the first made none); both came back,
  // so one frame serves them all and the next borrower gets it again.
  assertEquals(frames.bytes, 2048 + data.length);
  assertEquals(frames.acquire(data) !== null, true);
  assertEquals(frames.bytes, 2048 + data.length);
});

Deno.test("Connection refreshes the worker's clock when a read completes, and times requests by it", async () => {
  let real = 1_000;
  const clock = new LoopClock(() => real);
  const t = new MemoryTransport(["GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /b HTTP/1.1\r\n"]);
  const read = t.read.bind(t);
  let reads = 0;
  let release: (n: null) => void = () => {};
  t.read = (p) => {
    if (++reads > 2) return new Promise((r) => (release = r)); // the rest of /b never comes
    real += 500; // each read arrives 500 ms after the one before
    return read(p);
  };
  const log: AccessRecord[] = [];
  const c = new Connection(t, { ip: "1", port: 1 }, SETTINGS, { ...hooks(log), clock });
  const done = c.run();
  assertEquals(clock.now(), 1_000, "nothing read yet");
  await new Promise((r) => setTimeout(r, 10));
  // Both reads completed: /a answered at the first (1 500), /b's head half there at the second.
  assertEquals(log.map((l) => [l.requestLine, l.timeMs]), [["GET /a HTTP/1.1", 1_500]]);
  assertEquals(clock.now(), 2_000);
  assertEquals(c.phase, "head");
  assertEquals(c.deadline, 2_000 + SETTINGS.headerTimeoutMs);
  real = 9_999; // not read by anyone until the next wakeup
  assertEquals(clock.now(), 2_000);
  c.close();
  release(null);
  await done;
});

/** Who the handler, the access log and the error log saw, over a connection from 10.0.0.1. */
async function behindProxy(
  pieces: string[],
  settings: Partial<ConnectionSettings>,
): Promise<{ out: string; closed: boolean; peers: string[]; log: string[]; errors: string[] }> {
  const t = new MemoryTransport(pieces);
  const access: AccessRecord[] = [];
  const peers: string[] = [];
  const errors: string[] = [];
  const h = hooks(access);
  const handle = h.handle;
  await new Connection(t, { ip: "10.0.0.1", port: 5 }, { ...SETTINGS, ...settings }, {
    ...h,
    handle: (req) => {
      peers.push(`${req.peer.ip}:${req.peer.port}`);
      return handle(req);
    },
    error: (level, message, peer) => errors.push(`${level} ${message} [${peer?.ip}]`),
  }).run();
  return { out: t.out, closed: t.closed, peers, log: access.map((a) => a.client), errors };
}

const PROXY_ON = { proxyProtocol: { maxV2Bytes: 4096 } };
const TWO_GETS = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";

Deno.test("Connection with ProxyProtocol takes the client from a v1 header, however it arrives", async () => {
  const input = "PROXY TCP4 203.0.113.9 10.0.0.2 51234 80\r\n" + TWO_GETS;
  const whole = await behindProxy([input], PROXY_ON);
  assertEquals(whole.out, R("GET /a") + R("GET /b"));
  assertEquals(whole.peers, ["203.0.113.9:51234", "203.0.113.9:51234"]);
  assertEquals(whole.log, ["203.0.113.9", "203.0.113.9"]);
  for (let i = 1; i < input.length; i += 3) {
    const split = await behindProxy([input.slice(0, i), input.slice(i)], PROXY_ON);
    assertEquals([split.out, split.peers], [whole.out, whole.peers], `split at ${i}`);
  }
  assertEquals((await behindProxy([...input], PROXY_ON)).log, whole.log);
});

Deno.test("Connection with ProxyProtocol reads v2, and keeps the peer for LOCAL", async () => {
  const sig = "\r\n\r\n\x00\r\nQUIT\n";
  const tcp4 = sig + "\x21\x11\x00\x0c" + "\x0a\x01\x02\x03" + "\x0a\x00\x00\x02" +
    "\x10\x01\x00\x50";
  const v2 = await behindProxy([...(tcp4 + TWO_GETS)], PROXY_ON);
  assertEquals(v2.peers, ["10.1.2.3:4097", "10.1.2.3:4097"]);
  const local = await behindProxy([sig + "\x20\x00\x00\x00" + TWO_GETS], PROXY_ON);
  assertEquals(local.peers, ["10.0.0.1:5", "10.0.0.1:5"]);
});

Deno.test("Connection with ProxyProtocol closes without a word on a missing or bad header", async () => {
  for (const input of [TWO_GETS, "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n" + TWO_GETS, "PROXY TCP4 1.2"]) {
    const r = await behindProxy([input], PROXY_ON);
    assertEquals([r.out, r.closed, r.peers], ["", true, []], input);
    if (input.length > 20) assertEquals(r.errors.length, 1);
    for (const e of r.errors) {
      assertEquals(/^debug PROXY protocol: .* \[10\.0\.0\.1\]$/.test(e), true, e);
    }
  }
});

Deno.test("Connection with ProxyProtocol refuses a peer that TrustedProxies does not list", async () => {
  const input = "PROXY TCP4 203.0.113.9 10.0.0.2 51234 80\r\n" + TWO_GETS;
  const other = await behindProxy([input], {
    ...PROXY_ON,
    clients: new ClientResolver(["10.9.0.0/16"], "x-forwarded-for"),
  });
  assertEquals([other.out, other.closed, other.errors], ["", true, [
    "debug PROXY protocol: the peer is not in TrustedProxies [10.0.0.1]",
  ]]);
  const listed = await behindProxy([input], {
    ...PROXY_ON,
    clients: new ClientResolver(["10.0.0.0/8"], "x-forwarded-for"),
  });
  assertEquals(listed.peers, ["203.0.113.9:51234", "203.0.113.9:51234"]);
});

Deno.test("Connection with ProxyProtocol closes a peer that sends half a header within HeaderTimeout", async () => {
  const t = stallingTransport("PROXY TCP4 203.0.113.9 ");
  const c = new Connection(t, { ip: "1", port: 1 }, { ...SETTINGS, ...PROXY_ON }, hooks([]));
  const done = c.run();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([c.phase, c.deadline <= Date.now() + SETTINGS.headerTimeoutMs], ["idle", true]);
  c.onTimeout();
  await done;
  assertEquals([t.out, t.closed], ["", true]);
});

Deno.test("Connection takes the client a trusted proxy names, and only from a trusted proxy", async () => {
  const input = "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.9\r\n\r\n";
  const trusted = await behindProxy([input], {
    clients: new ClientResolver(["10.0.0.0/8"], "x-forwarded-for"),
  });
  assertEquals([trusted.peers, trusted.log], [["203.0.113.9:0"], ["203.0.113.9"]]);
  const untrusted = await behindProxy([input], {
    clients: new ClientResolver(["192.168.0.0/16"], "x-forwarded-for"),
  });
  assertEquals([untrusted.peers, untrusted.log], [["10.0.0.1:5"], ["10.0.0.1"]]);
  assertEquals((await behindProxy([input], {})).log, ["10.0.0.1"]);
});
