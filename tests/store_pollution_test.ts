/**
 * Black-box test against a real memcached: request targets a client makes up (query strings,
 * absolute-form hosts, percent-encodings, 404s, OPTIONS of paths that do not exist) must not
 * become counter items, and counter items must expire.
 */
import assert from "node:assert/strict";
import { MemcachedStore } from "../lib/session/memcached_store.ts";
import { memcachedCommand, memcachedStats, startMemcached } from "./helpers/memcached.ts";
import { eventually, rawExchange, startServer, statusOf } from "./helpers/server.ts";

const JUNK = 20_000;
/** Requests pipelined on one connection (below MaxKeepAliveRequests). */
const PER_CONNECTION = 500;
const PARALLEL = 4;

/** "hello.txt" with the characters whose bit is set in `i` percent-encoded. */
function encodedHello(i: number): string {
  return [..."hello.txt"].map((c, k) =>
    (i >> k) & 1 ? "%" + c.charCodeAt(0).toString(16).padStart(2, "0") : c
  ).join("");
}

/** The i-th made-up target: each names nothing new, or nothing at all. */
function junk(i: number): string {
  switch (i % 7) {
    case 0:
      return `GET /missing-${i} HTTP/1.1`; // 404
    case 1:
      return `GET /hello.txt?v=${i} HTTP/1.1`; // 200
    case 2:
      return `GET http://h${i}.example/hello.txt HTTP/1.1`; // 200, absolute-form
    case 3:
      return `GET /${encodedHello(i)}?${i} HTTP/1.1`; // 200, percent-encoded
    case 4:
      return `OPTIONS /nothing-${i} HTTP/1.1`; // 204 for a path that does not exist
    case 5:
      return `HEAD //docs?${i} HTTP/1.1`; // 301
    default:
      return `GET /a%2f${i}/.h${i} HTTP/1.1`; // 404 (an encoded slash)
  }
}

async function flood(port: number): Promise<number> {
  let answered = 0;
  let next = 0;
  const worker = async () => {
    while (next < JUNK) {
      const from = next;
      next = Math.min(JUNK, next + PER_CONNECTION);
      let req = "";
      for (let i = from; i < next; i++) {
        req += `${junk(i)}\r\nHost: t\r\n${i === next - 1 ? "Connection: close\r\n" : ""}\r\n`;
      }
      const r = await rawExchange(port, req, { idleMs: 10_000 });
      answered += r.match(/^HTTP\/1\.1 \d{3} /gm)?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return answered;
}

// deno-lint-ignore no-explicit-any
async function statusJson(port: number): Promise<any> {
  const page = await rawExchange(
    port,
    "GET /server-status?json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
  );
  assert.equal(statusOf(page), 200);
  return JSON.parse(page.slice(page.indexOf("\r\n\r\n") + 4));
}

function countOf(view: { resources: Array<{ name: string; count: number }> }, name: string) {
  return view.resources.find((r) => r.name === name)?.count ?? 0;
}

async function number(port: number, key: string): Promise<number> {
  const m = /^VALUE \S+ \d+ \d+\r\n(\d+)\r\n/.exec(await memcachedCommand(port, `get ${key}`));
  return m === null ? 0 : Number(m[1]);
}

Deno.test("20 000 made-up targets make a bounded number of memcached items, each with an expiry", async () => {
  const mc = await startMemcached();
  const s = await startServer({
    conf: {
      Memcached: `127.0.0.1:${mc.port}`,
      MemcachedTimeout: "200ms",
      ServerStatus: "On",
      LogNotFound: "Off",
      CounterTTL: "1h",
    },
  });
  try {
    const before = (await memcachedStats(mc.port)).get("curr_items");
    assert.equal(before, 0);
    assert.equal(await flood(s.port), JUNK, "every request answered");
    // The instance's own counters (main thread) have every response...
    // deno-lint-ignore no-explicit-any
    let json: any = null;
    await eventually(
      async () => {
        json = await statusJson(s.port);
        return json.instance.requests >= JUNK;
      },
      15_000,
      "the instance's counts",
    );
    // ...and memcached got every flush (counters go out once a second per worker; a batch
    // memcached took too long to answer is dropped, never counted twice).
    let last = -1;
    await eventually(
      async () => {
        const n = await number(mc.port, "hs:t:req");
        const stable = n === last && n > 0;
        last = n;
        if (!stable) await new Promise((r) => setTimeout(r, 1500));
        return stable;
      },
      30_000,
      "the cluster counts to settle",
    );
    const stats = await memcachedStats(mc.port);
    const items = stats.get("curr_items")!;
    // At most 7 totals, the index, and an item pair per name: /hello.txt, /docs, (404),
    // (OPTIONS), /server-status (16 when measured).
    assert.ok(items <= 24, `${items} items for ${JUNK} made-up targets`);
    assert.equal(stats.get("evictions"), 0);
    const dump = await memcachedCommand(mc.port, "lru_crawler metadump all");
    const keys = [...dump.matchAll(/^key=(\S+) exp=(-?\d+) /gm)];
    assert.equal(keys.length, items, dump);
    // Each expires within CounterTTL of memcached's clock (its latest access time).
    const now = Math.max(...[...dump.matchAll(/ la=(\d+) /g)].map((m) => Number(m[1])));
    for (const [, key, exp] of keys) {
      assert.ok(Number(exp) > now && Number(exp) <= now + 3600, `${key} expires at ${exp}`);
    }
    // The tables: resolved resources and buckets only, each file's requests under its name.
    const helloRequests = [1, 2, 3].reduce((n, k) => n + Math.ceil((JUNK - k) / 7), 0);
    const cluster = (await statusJson(s.port)).cluster;
    for (const view of [json.instance.counters, cluster]) {
      for (const r of view.resources) {
        assert.match(
          r.name,
          /^(\/hello\.txt|\/docs|\/server-status|\(\d{3}\)|\(OPTIONS\))$/,
          r.name,
        );
      }
    }
    assert.equal(countOf(json.instance.counters, "/hello.txt"), helloRequests);
    const inCluster = countOf(cluster, "/hello.txt");
    assert.ok(inCluster > 0 && inCluster <= helloRequests, `${inCluster} in memcached`);
  } finally {
    assert.equal(await s.stop(), 0);
    await mc.stop();
  }
});

/** The expiry of each item, by key (memcached's metadump; keys are URL-encoded there). */
async function expiries(port: number): Promise<Map<string, number>> {
  const dump = await memcachedCommand(port, "lru_crawler metadump all");
  const out = new Map<string, number>();
  for (const m of dump.matchAll(/^key=(\S+) exp=(-?\d+) /gm)) {
    out.set(decodeURIComponent(m[1]!), Number(m[2]));
  }
  return out;
}

Deno.test("MemcachedStore pushes a counted item's expiry back once a quarter of CounterTTL has passed", async () => {
  const mc = await startMemcached();
  let now = 1_000_000;
  const store = new MemcachedStore({
    servers: [{ host: "127.0.0.1", port: mc.port }],
    timeoutMs: 1000,
    counterTtlS: 60,
    now: () => now,
  });
  const batch = {
    requests: 1,
    bytes: 10,
    classes: [0, 1, 0, 0, 0],
    resources: [["/a", 1, "127.0.0.1:1", 1] as const],
  };
  try {
    await store.addCounts(batch);
    const first = await expiries(mc.port);
    // req, bytes, 2xx (totals that counted something), the index, and /a's r and l.
    assert.equal(first.size, 6, [...first.keys()].join(" "));
    const idx = first.get("hs:idx")!;
    // Counted again within a quarter of the TTL: only hs:l (set every time) moves.
    const stats = async () => (await memcachedStats(mc.port)).get("time")!;
    const t0 = await stats();
    await eventually(async () => (await stats()) > t0, 5000, "memcached's clock to tick");
    now += 14_000;
    await store.addCounts(batch);
    const second = await expiries(mc.port);
    assert.equal(second.get("hs:idx"), idx);
    assert.equal(second.get("hs:t:req"), first.get("hs:t:req"));
    // Past a quarter of the TTL: every counted item is touched again.
    now += 2_000;
    await store.addCounts(batch);
    const third = await expiries(mc.port);
    for (const [key, exp] of third) {
      assert.ok(exp > first.get(key)!, `${key}: ${first.get(key)} -> ${exp}`);
    }
  } finally {
    store.close();
    await mc.stop();
  }
});
