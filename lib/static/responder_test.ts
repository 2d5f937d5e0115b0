import assert from "node:assert/strict";
import { FsError } from "./fs_port.ts";
import { ERROR_ASSET_PREFIX, Responder } from "./responder.ts";
import { bodyText, field, fieldNames, request, ROOT, site } from "./test_support.ts";

const HELLO = "Hello, world!\n";

function helloSite(options: Parameters<typeof site>[0] = {}) {
  const s = site(options);
  s.fs.file(`${ROOT}/hello.txt`, HELLO).file(`${ROOT}/docs/index.html`, "<p>docs</p>");
  s.fs.dir(`${ROOT}/empty`);
  return s;
}

Deno.test("Responder.respond() answers GET of a file with 200, validators and the file slice", async () => {
  const { fs, responder } = helloSite();
  const plan = await responder.respond(request("GET", "/hello.txt"));
  assert.equal(plan.status, 200);
  assert.deepEqual(fieldNames(plan), [
    "Content-Type",
    "Last-Modified",
    "ETag",
    "Accept-Ranges",
    "X-Content-Type-Options",
    "Content-Length",
  ]);
  assert.equal(field(plan, "Content-Type"), "text/plain; charset=utf-8");
  assert.equal(field(plan, "Content-Length"), String(HELLO.length));
  assert.equal(field(plan, "X-Content-Type-Options"), "nosniff");
  assert.equal(await bodyText(fs, plan.body), HELLO);
});

Deno.test("Responder.respond() answers HEAD with the GET headers and no body", async () => {
  const { responder } = helloSite();
  const get = await responder.respond(request("GET", "/hello.txt"));
  const head = await responder.respond(request("HEAD", "/hello.txt"));
  assert.deepEqual(head.fields, get.fields);
  assert.equal(head.body.kind, "none");
});

Deno.test("Responder.respond() maps file-system failures to 404, 403 and 500 with log notes", async () => {
  const { fs, responder } = helloSite();
  assert.equal((await responder.respond(request("GET", "/missing.txt"))).status, 404);
  fs.fail({ op: "stat", path: `${ROOT}/hello.txt`, error: new FsError("denied", "EACCES") });
  const denied = await responder.respond(request("GET", "/hello.txt"));
  assert.equal(denied.status, 403);
  assert.equal(denied.note?.level, "error");
  fs.fail({ op: "stat", path: `${ROOT}/docs`, error: new FsError("other", "EIO") });
  const broken = await responder.respond(request("GET", "/docs/"));
  assert.equal(broken.status, 500);
  assert.equal(broken.note?.level, "crit");
  fs.fail({ op: "stat", path: `${ROOT}/bug`, error: new TypeError("not an FsError") });
  assert.equal((await responder.respond(request("GET", "/bug"))).status, 500);
});

Deno.test("Responder.respond() refuses a file with no read permission bits with 403", async () => {
  const { fs, responder } = helloSite();
  fs.file(`${ROOT}/secret.txt`, "x", { mode: 0o000 });
  const plan = await responder.respond(request("GET", "/secret.txt"));
  assert.equal(plan.status, 403);
  assert.match(plan.note!.message, /not readable/);
});

Deno.test("Responder.respond() redirects a folder without / to its canonical URL keeping the query", async () => {
  const { responder } = helloSite();
  const plan = await responder.respond(request("GET", "/docs?a=1"));
  assert.equal(plan.status, 301);
  assert.equal(field(plan, "Location"), "/docs/?a=1");
});

Deno.test("Responder.respond() serves index.html for a folder, 403 without one, 404 for file/", async () => {
  const { fs, responder } = helloSite();
  const index = await responder.respond(request("GET", "/docs/"));
  assert.equal(index.status, 200);
  assert.equal(await bodyText(fs, index.body), "<p>docs</p>");
  const forbidden = await responder.respond(request("GET", "/empty/"));
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.note!.message, /directory index forbidden/);
  assert.equal((await responder.respond(request("GET", "/hello.txt/"))).status, 404);
});

Deno.test("Responder.respond() lists a folder when DirectoryListing is On, names escaped", async () => {
  const { fs, responder } = helloSite({ directoryListing: true });
  fs.file(`${ROOT}/empty/<b>.txt`, "x").file(`${ROOT}/empty/.hidden`, "x");
  const plan = await responder.respond(request("GET", "/empty/"));
  assert.equal(plan.status, 200);
  assert.equal(field(plan, "Content-Type"), "text/html; charset=utf-8");
  const html = await bodyText(fs, plan.body);
  assert.match(html, /<a href="\/empty\/%3Cb%3E.txt">&lt;b&gt;.txt<\/a>/);
  assert.doesNotMatch(html, /hidden/);
  assert.match(html, />\.\.\/<\/a>/);
  const head = await responder.respond(request("HEAD", "/empty/"));
  assert.equal(head.body.kind, "none");
  assert.equal(field(head, "Content-Length"), String(new TextEncoder().encode(html).length));
});

Deno.test("Responder.respond() answers 304 with only the RFC 9110 §15.4.5 fields", async () => {
  const { responder } = helloSite({ cacheControl: [{ pattern: "*.txt", value: "max-age=60" }] });
  const etag = field(await responder.respond(request("GET", "/hello.txt")), "ETag")!;
  const plan = await responder.respond(request("GET", "/hello.txt", { "If-None-Match": etag }));
  assert.equal(plan.status, 304);
  assert.deepEqual(plan.fields, [["ETag", etag], ["Cache-Control", "max-age=60"]]);
  assert.equal(plan.body.kind, "none");
});

Deno.test("Responder.respond() answers a failed If-Match on GET with 412", async () => {
  const { responder } = helloSite();
  const plan = await responder.respond(request("GET", "/hello.txt", { "If-Match": '"other"' }));
  assert.equal(plan.status, 412);
});

Deno.test("Responder.respond() serves single ranges, multipart ranges and 416", async () => {
  const { fs, responder } = helloSite();
  const one = await responder.respond(request("GET", "/hello.txt", { Range: "bytes=0-4" }));
  assert.equal(one.status, 206);
  assert.equal(field(one, "Content-Range"), `bytes 0-4/${HELLO.length}`);
  assert.equal(await bodyText(fs, one.body), "Hello");
  const two = await responder.respond(request("GET", "/hello.txt", { Range: "bytes=0-0,-1" }));
  assert.equal(two.status, 206);
  assert.match(field(two, "Content-Type")!, /^multipart\/byteranges; boundary=/);
  assert.equal(two.body.kind, "multipart");
  const none = await responder.respond(request("GET", "/hello.txt", { Range: "bytes=999-" }));
  assert.equal(none.status, 416);
  assert.equal(field(none, "Content-Range"), `bytes */${HELLO.length}`);
  const post = await responder.respond(request("POST", "/hello.txt", { Range: "bytes=0-4" }));
  assert.equal(post.status, 200, "POST ignores Range");
});

Deno.test("Responder.respond() applies the first matching Cache-Control rule", async () => {
  const { responder } = helloSite({
    cacheControl: [
      { pattern: "/docs/*", value: "no-cache" },
      { pattern: "*.txt", value: "max-age=60" },
      { pattern: "*", value: "max-age=1" },
    ],
  });
  const cc = async (t: string) =>
    field(await responder.respond(request("GET", t)), "Cache-Control");
  assert.equal(await cc("/hello.txt"), "max-age=60");
  assert.equal(await cc("/docs/"), "no-cache");
});

Deno.test("Responder.respond() answers OPTIONS * and per path with the right Allow", async () => {
  const { fs, responder } = helloSite({
    writeAccess: true,
    writePaths: ["/docs"],
    uploadPaths: ["/empty/"],
  });
  fs.file(`${ROOT}/docs/a.txt`, "a");
  const allow = async (t: string) => {
    const plan = await responder.respond(request("OPTIONS", t));
    assert.equal(plan.status, 204, t);
    assert.equal(plan.body.kind, "none");
    return field(plan, "Allow");
  };
  assert.equal(await allow("*"), "GET, HEAD, POST, OPTIONS, PUT, DELETE");
  assert.equal(await allow("/hello.txt"), "GET, HEAD, POST, OPTIONS");
  assert.equal(await allow("/docs/a.txt"), "GET, HEAD, POST, OPTIONS, PUT, DELETE");
  assert.equal(await allow("/docs/new.txt"), "OPTIONS, PUT");
  assert.equal(await allow("/nowhere.txt"), "OPTIONS");
  assert.equal(await allow("/docs/"), "GET, HEAD, POST, OPTIONS");
  assert.equal(await allow("/empty/"), "GET, HEAD, OPTIONS, POST");
  const readOnly = site();
  const plan = await readOnly.responder.respond(request("OPTIONS", "*"));
  assert.equal(field(plan, "Allow"), "GET, HEAD, POST, OPTIONS");
});

Deno.test("Responder.respond() rejects * for other methods and unsafe targets", async () => {
  const { responder } = helloSite();
  assert.equal((await responder.respond(request("GET", "*"))).status, 400);
  assert.equal((await responder.respond(request("GET", "/a/../hello.txt"))).status, 400);
  assert.equal((await responder.respond(request("GET", "/%zz"))).status, 400);
  assert.equal((await responder.respond(request("GET", "/.env"))).status, 404);
  const head = await responder.respond(request("HEAD", "/.env"));
  assert.equal(head.status, 404);
  assert.equal(head.body.kind, "none");
});

Deno.test("Responder.respond() serves error/ assets under /.error/ from the assets root", async () => {
  const { fs, responder } = helloSite();
  fs.file("/srv/error/error.css", "body{}");
  const plan = await responder.respond(request("GET", `${ERROR_ASSET_PREFIX}error.css`));
  assert.equal(plan.status, 200);
  assert.equal(await bodyText(fs, plan.body), "body{}");
  assert.equal((await responder.respond(request("GET", ERROR_ASSET_PREFIX))).status, 404);
  assert.equal((await responder.respond(request("PUT", `${ERROR_ASSET_PREFIX}x.css`))).status, 404);
});

Deno.test("Responder.error() plans a page, headers only for HEAD", () => {
  const { responder } = helloSite();
  assert(responder instanceof Responder);
  const page = responder.error({ method: "GET" }, 404);
  assert.equal(page.body.kind, "bytes");
  assert.equal(responder.error({ method: "HEAD" }, 404).body.kind, "none");
});
