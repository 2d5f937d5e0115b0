import assert from "node:assert/strict";
import { makeETag } from "./etag.ts";
import { bodyBytes, field, fieldNames, request, ROOT, site } from "./test_support.ts";

const CSS = "body { color: red; }\n".repeat(100); // 2100 bytes, compressible
const GZ = new Uint8Array([0x1f, 0x8b, 1, 2, 3]);
const BR = new Uint8Array([0xce, 0xb2, 0xcf, 0x81]);

function cssSite(options: Parameters<typeof site>[0] = {}) {
  const s = site({ compression: true, ...options });
  s.fs.file(`${ROOT}/style.css`, CSS).file(`${ROOT}/tiny.css`, "a{}").file(
    `${ROOT}/logo.png`,
    new Uint8Array(4000),
  );
  return s;
}

async function gunzip(data: Uint8Array): Promise<string> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return await new Response(stream).text();
}

Deno.test("selectRepresentation() serves the .br sibling when br is accepted", async () => {
  const { fs, responder } = cssSite();
  fs.file(`${ROOT}/style.css.br`, BR).file(`${ROOT}/style.css.gz`, GZ);
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "gzip, deflate, br" }),
  );
  assert.equal(plan.status, 200);
  assert.equal(field(plan, "Content-Encoding"), "br");
  assert.equal(field(plan, "Content-Type"), "text/css; charset=utf-8");
  assert.equal(field(plan, "Vary"), "Accept-Encoding");
  assert.equal(field(plan, "Content-Length"), String(BR.length));
  const info = await fs.stat(`${ROOT}/style.css.br`);
  assert.equal(field(plan, "ETag"), makeETag(info, "br"));
  assert.deepEqual(await bodyBytes(fs, plan.body), BR);
});

Deno.test("selectRepresentation() follows q-values: gzip;q=1, br;q=0.5 picks .gz", async () => {
  const { fs, responder } = cssSite();
  fs.file(`${ROOT}/style.css.br`, BR).file(`${ROOT}/style.css.gz`, GZ);
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "br;q=0.5, gzip" }),
  );
  assert.equal(field(plan, "Content-Encoding"), "gzip");
  assert.deepEqual(await bodyBytes(fs, plan.body), GZ);
  assert.match(field(plan, "ETag")!, /-gzip"$/);
});

Deno.test("selectRepresentation() applies a Range to a sibling's bytes", async () => {
  const { fs, responder } = cssSite();
  fs.file(`${ROOT}/style.css.gz`, GZ);
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "gzip", Range: "bytes=0-1" }),
  );
  assert.equal(plan.status, 206);
  assert.equal(field(plan, "Content-Encoding"), "gzip");
  assert.equal(field(plan, "Content-Range"), `bytes 0-1/${GZ.length}`);
  assert.deepEqual(await bodyBytes(fs, plan.body), GZ.slice(0, 2));
});

Deno.test("selectRepresentation() ignores unreadable or folder siblings", async () => {
  const { fs, responder } = cssSite();
  fs.file(`${ROOT}/style.css.br`, BR, { mode: 0 }).dir(`${ROOT}/style.css.gz`);
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "br" }),
  );
  assert.equal(field(plan, "Content-Encoding"), undefined);
  assert.equal(field(plan, "Vary"), "Accept-Encoding");
  assert.equal(field(plan, "Content-Length"), String(CSS.length));
});

Deno.test("selectRepresentation() gzips on the fly with a weak ETag, as a stream of no length", async () => {
  const { fs, responder } = cssSite();
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "gzip" }),
  );
  assert.equal(plan.status, 200);
  assert.equal(plan.body.kind, "stream");
  assert.equal(field(plan, "Content-Encoding"), "gzip");
  // Framing is the writer's: the plan says only that the length is unknown.
  assert.equal(field(plan, "Transfer-Encoding"), undefined);
  assert.equal(field(plan, "Content-Length"), undefined);
  assert.equal(field(plan, "Accept-Ranges"), undefined);
  assert.equal(field(plan, "ETag"), "W/" + makeETag(await fs.stat(`${ROOT}/style.css`), "gzip"));
  assert.equal(await gunzip(await bodyBytes(fs, plan.body)), CSS);
});

Deno.test("selectRepresentation() answers HEAD of an on-the-fly response without opening the file", async () => {
  const { fs, responder } = cssSite();
  const plan = await responder.respond(
    request("HEAD", "/style.css", { "Accept-Encoding": "gzip" }),
  );
  assert.equal(plan.body.kind, "none");
  assert.equal(field(plan, "Content-Encoding"), "gzip");
  assert(!fs.calls.some((c) => c.startsWith("readFile")), fs.calls.join("\n"));
});

Deno.test("selectRepresentation() revalidates an on-the-fly gzip response by its weak ETag", async () => {
  const { responder } = cssSite();
  const ae = { "Accept-Encoding": "gzip" };
  const etag = field(await responder.respond(request("HEAD", "/style.css", ae)), "ETag")!;
  const plan = await responder.respond(
    request("GET", "/style.css", { ...ae, "If-None-Match": etag }),
  );
  assert.equal(plan.status, 304);
  assert.deepEqual(fieldNames(plan), ["ETag", "Vary"]);
});

Deno.test("selectRepresentation() sends identity with the range when a Range comes with gzip", async () => {
  const { fs, responder } = cssSite();
  const plan = await responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "gzip", Range: "bytes=0-9" }),
  );
  assert.equal(plan.status, 206);
  assert.equal(field(plan, "Content-Encoding"), undefined);
  assert.equal(field(plan, "Vary"), "Accept-Encoding");
  assert.equal(new TextDecoder().decode(await bodyBytes(fs, plan.body)), CSS.slice(0, 10));
});

Deno.test("selectRepresentation() keeps identity for small files, HTTP/1.0, identity-only and no header", async () => {
  const { responder } = cssSite();
  const cases: Array<[string, ReturnType<typeof request>]> = [
    ["small", request("GET", "/tiny.css", { "Accept-Encoding": "gzip" })],
    ["HTTP/1.0", request("GET", "/style.css", { "Accept-Encoding": "gzip" }, null, false)],
    ["gzip;q=0", request("GET", "/style.css", { "Accept-Encoding": "gzip;q=0, br;q=0" })],
    ["none", request("GET", "/style.css")],
  ];
  for (const [name, req] of cases) {
    const plan = await responder.respond(req);
    assert.equal(plan.body.kind, "file", name);
    assert.equal(field(plan, "Content-Encoding"), undefined, name);
    assert.equal(field(plan, "Vary"), "Accept-Encoding", name);
  }
});

Deno.test("selectRepresentation() leaves other types and Compression Off alone, without Vary", async () => {
  const on = cssSite();
  on.fs.file(`${ROOT}/logo.png.gz`, GZ);
  const png = await on.responder.respond(
    request("GET", "/logo.png", { "Accept-Encoding": "gzip" }),
  );
  assert.equal(field(png, "Content-Encoding"), undefined);
  assert.equal(field(png, "Vary"), undefined);
  assert(!on.fs.calls.includes(`stat ${ROOT}/logo.png.gz`), "no sibling look-up for images");
  const off = cssSite({ compression: false });
  off.fs.file(`${ROOT}/style.css.gz`, GZ);
  const css = await off.responder.respond(
    request("GET", "/style.css", { "Accept-Encoding": "gzip" }),
  );
  assert.equal(field(css, "Content-Encoding"), undefined);
  assert.equal(field(css, "Vary"), undefined);
});
