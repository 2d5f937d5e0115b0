/**
 * The pipeline answers requests given as values, with no HTTP/1.1 bytes, socket or framing in
 * sight: what another protocol (HTTP/2 streams) would hand it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../config/config.ts";
import { FieldList } from "../http/headers.ts";
import type { ResponsePlan } from "../static/plan.ts";
import { buildPipeline, type WorkerPipeline } from "./pipeline.ts";
import type { ServerRequest } from "./request.ts";

const dec = new TextDecoder();
const PAGE = "<!doctype html><title>t</title>" + "<p>hello</p>".repeat(200);

async function withPipeline(
  extra: string,
  f: (w: WorkerPipeline, posted: unknown[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "www"));
    await Deno.mkdir(join(dir, "error"));
    await Deno.writeTextFile(join(dir, "www", "index.html"), PAGE);
    await Deno.writeTextFile(join(dir, "www", "site.css"), "body{color:red}");
    await Deno.mkdir(join(dir, "www", "app"));
    await Deno.writeTextFile(join(dir, "www", "app", "data.json"), "{}");
    const text = `DocumentRoot = www\nErrorPages = error\nAccessLog = Off\nErrorLog = Off\n` +
      `SessionKey = pipeline-test-key-0123456789abcdef\n${extra}`;
    const config = parseConfig(text, { file: join(dir, "http.conf"), baseDir: dir, cpus: 1 });
    const posted: unknown[] = [];
    const w = buildPipeline(config, {}, config.sessionKey, {
      id: 1,
      post: (m) => posted.push(m),
      log: () => {},
      now: Date.now,
    });
    try {
      await f(w, posted);
    } finally {
      w.store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function request(
  method: string,
  target: string,
  fields: Record<string, string> = {},
  ip = "127.0.0.1",
): ServerRequest {
  const headers = new FieldList();
  for (const [k, v] of Object.entries(fields)) headers.add(k, v);
  return { method, target, headers, body: null, streamable: true, peer: { ip, port: 4242 } };
}

const names = (p: ResponsePlan) => p.fields.map(([n]) => n.toLowerCase());
const extraText = (p: ResponsePlan) => (p.extra === undefined ? "" : dec.decode(p.extra));

Deno.test("pipeline answers a request given as values: the file, its fields and a session cookie, no framing", async () => {
  await withPipeline("", async ({ pipeline }) => {
    const plan = await pipeline.answer(request("GET", "/"));
    assert.equal(plan.status, 200);
    assert.equal(plan.body.kind, "bytes");
    if (plan.body.kind === "bytes") assert.equal(dec.decode(plan.body.data), PAGE);
    assert.ok(names(plan).includes("etag"));
    assert.equal(plan.fields.find(([n]) => n === "Content-Length")?.[1], String(PAGE.length));
    // Framing, Date and Server belong to the protocol's writer, not to the pipeline.
    for (const n of ["connection", "transfer-encoding", "date", "server", "keep-alive"]) {
      assert.ok(!names(plan).includes(n), n);
      assert.ok(!extraText(plan).toLowerCase().includes(n + ":"), n);
    }
    const cookie = /^Set-Cookie: (sid=[A-Za-z0-9_-]+); Path=\/; HttpOnly; SameSite=Lax\r\n$/.exec(
      extraText(plan),
    );
    assert.ok(cookie, extraText(plan));
    // The client returns it: no new cookie.
    const again = await pipeline.answer(request("GET", "/", { cookie: cookie[1]! }));
    assert.equal(again.status, 200);
    assert.equal(again.extra, undefined);
  });
});

Deno.test("pipeline leaves a body of unknown length to the protocol: gzip on the fly is a stream with no length", async () => {
  await withPipeline("CompressionMinSize = 1k\n", async ({ pipeline }) => {
    const plan = await pipeline.answer(request("GET", "/", { "accept-encoding": "gzip" }));
    assert.equal(plan.status, 200);
    assert.equal(plan.body.kind, "stream");
    assert.ok(!names(plan).includes("content-length"));
    assert.ok(!names(plan).includes("transfer-encoding"));
    if (plan.body.kind === "stream") await plan.body.stream.cancel();
    // A client that cannot take such a body (HTTP/1.0) gets the file with its length.
    const old = await pipeline.answer({
      ...request("GET", "/", { "accept-encoding": "gzip" }),
      streamable: false,
    });
    assert.equal(old.body.kind, "bytes");
    assert.ok(names(old).includes("content-length"));
  });
});

Deno.test("pipeline puts the status page first (no cookie) and refuses it to other clients", async () => {
  await withPipeline("ServerStatus = On\n", async (w, posted) => {
    const answer = w.pipeline.answer(request("GET", "/server-status?json"));
    // The page asks the main thread for the instance view; answer as main would, with nothing.
    await new Promise((r) => setTimeout(r, 0));
    const ask = posted.find((m) => (m as { type: string }).type === "status-request") as {
      seq: number;
    };
    assert.ok(ask, "the status page asked the main thread");
    w.status!.onStatus(ask.seq, null as never);
    const plan = await answer;
    assert.equal(plan.status, 200);
    assert.equal(plan.extra, undefined, "no session cookie on the status page");
    const refused = await w.pipeline.answer(request("GET", "/server-status", {}, "10.1.2.3"));
    assert.equal(refused.status, 403);
  });
});

Deno.test("pipeline counts each response once it is written", async () => {
  await withPipeline("", async (w, posted) => {
    const req = request("GET", "/");
    w.pipeline.responded(req, 200, 10);
    w.pipeline.responded(req, 200, 5);
    await w.counters.tick({ connections: 0, requests: 2, bytes: 15 }, null);
    const stats = posted.find((m) => (m as { type: string }).type === "stats") as {
      counters: { requests: number; bytes: number };
    };
    assert.equal(stats.counters.requests, 2);
    assert.equal(stats.counters.bytes, 15);
  });
});

const COOKIE = /^Set-Cookie: (sid=[A-Za-z0-9_-]+);/;

Deno.test("pipeline gives a new visitor a cookie with HTML pages only (SessionCookieScope = html)", async () => {
  await withPipeline("", async (w) => {
    const css = await w.pipeline.answer(request("GET", "/site.css"));
    assert.deepEqual([css.status, css.extra], [200, undefined]);
    const missing = await w.pipeline.answer(request("GET", "/nope.html"));
    assert.deepEqual([missing.status, missing.extra], [404, undefined]);
    assert.equal(w.sessions!.stats.issued, 0, "no cookie made for responses that carry none");
    const page = await w.pipeline.answer(request("HEAD", "/"));
    const cookie = COOKIE.exec(extraText(page));
    assert.ok(cookie, "a page (HEAD too) brings the cookie");
    // The returning client is recognised on any response, pages or not.
    const again = await w.pipeline.answer(request("GET", "/site.css", { cookie: cookie[1]! }));
    assert.equal(again.extra, undefined);
    assert.equal(w.sessions!.stats.resumed, 1);
    // A revalidated page (304) carries no new cookie either.
    const etag = page.fields.find(([n]) => n === "ETag")![1];
    const notModified = await w.pipeline.answer(request("GET", "/", { "if-none-match": etag }));
    assert.deepEqual([notModified.status, notModified.extra], [304, undefined]);
  });
});

Deno.test("pipeline cookie scope 'all' and URL prefixes", async () => {
  await withPipeline("SessionCookieScope = all\n", async (w) => {
    for (const path of ["/site.css", "/nope", "/"]) {
      assert.match(extraText(await w.pipeline.answer(request("GET", path))), COOKIE, path);
    }
  });
  await withPipeline("SessionCookieScope = /app/\n", async (w) => {
    assert.match(extraText(await w.pipeline.answer(request("GET", "/app/data.json?x"))), COOKIE);
    assert.equal((await w.pipeline.answer(request("GET", "/"))).extra, undefined);
    assert.equal((await w.pipeline.answer(request("GET", "/application"))).extra, undefined);
  });
});
