import assert from "node:assert/strict";
import { BASIC_CHALLENGE } from "../auth/basic_auth.ts";
import { makeETag } from "./etag.ts";
import { FsError } from "./fs_port.ts";
import { newUploadName } from "./mime.ts";
import { ALICE, bodyText, chunks, field, request, ROOT, site } from "./test_support.ts";

const enc = new TextEncoder();

function writable(options: Parameters<typeof site>[0] = {}) {
  const s = site({ writeAccess: true, ...options });
  s.fs.file(`${ROOT}/old.txt`, "old contents").dir(`${ROOT}/docs`);
  s.fs.file(`${ROOT}/docs/index.html`, "<p>docs</p>").dir(`${ROOT}/empty`);
  return s;
}

/** A body that records whether it was read, then throws after its first chunk if asked. */
function trackedBody(parts: string[], failAfterFirst = false) {
  const t = { reads: 0 };
  const body = {
    async *[Symbol.asyncIterator]() {
      for (const p of parts) {
        t.reads++;
        yield enc.encode(p);
        if (failAfterFirst) throw new Error("client closed the connection");
      }
    },
  };
  return { t, body };
}

function noTempFiles(paths: string[]): void {
  assert.deepEqual(paths.filter((p) => p.endsWith(".upload")), []);
}

Deno.test("planPut() creates a file with 201, Location and the new ETag", async () => {
  const { fs, responder } = writable();
  const plan = await responder.respond(request("PUT", "/docs/new%20file.txt", ALICE, "fresh"));
  assert.equal(plan.status, 201);
  assert.equal(field(plan, "Location"), "/docs/new%20file.txt");
  assert.equal(field(plan, "Content-Length"), "0");
  assert.equal(field(plan, "ETag"), makeETag(await fs.stat(`${ROOT}/docs/new file.txt`)));
  assert.equal(fs.text(`${ROOT}/docs/new file.txt`), "fresh");
});

Deno.test("planPut() replaces a file with 204, from chunked pieces or Content-Length: 0", async () => {
  const { fs, responder } = writable();
  const parts = chunks([enc.encode("new "), enc.encode("contents")]);
  const plan = await responder.respond(request("PUT", "/old.txt", ALICE, parts));
  assert.equal(plan.status, 204);
  assert.equal(field(plan, "Content-Length"), undefined, "RFC 9110 §8.6: no length on 204");
  assert.equal(fs.text(`${ROOT}/old.txt`), "new contents");
  const empty = await responder.respond(
    request("PUT", "/old.txt", { ...ALICE, "Content-Length": "0" }, null),
  );
  assert.equal(empty.status, 204);
  assert.equal(fs.text(`${ROOT}/old.txt`), "");
});

Deno.test("planPut() answers 411 without Content-Length or chunked framing, reading nothing", async () => {
  const { fs, responder } = writable();
  const plan = await responder.respond(request("PUT", "/old.txt", ALICE, null));
  assert.equal(plan.status, 411);
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
});

Deno.test("planPut() refuses content codings (415) and Content-Range (400)", async () => {
  const { responder } = writable();
  const coded = await responder.respond(
    request("PUT", "/old.txt", { ...ALICE, "Content-Encoding": "gzip" }, "x"),
  );
  assert.equal(coded.status, 415);
  assert.equal(field(coded, "Accept-Encoding"), "identity");
  const identity = await responder.respond(
    request("PUT", "/old.txt", { ...ALICE, "Content-Encoding": "identity" }, "x"),
  );
  assert.equal(identity.status, 204);
  const partial = await responder.respond(
    request("PUT", "/old.txt", { ...ALICE, "Content-Range": "bytes 0-0/1" }, "x"),
  );
  assert.equal(partial.status, 400);
});

Deno.test("planPut() answers 409 when the parent folder is missing or is a file", async () => {
  const { fs, responder } = writable();
  for (const t of ["/nope/a.txt", "/old.txt/a.txt", "/new/", "/old.txt/"]) {
    const plan = await responder.respond(request("PUT", t, ALICE, "x"));
    assert.equal(plan.status, 409, t);
  }
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
});

Deno.test("planPut() answers 405 with Allow for a folder", async () => {
  const { responder } = writable({ uploadPaths: ["/empty"] });
  const plan = await responder.respond(request("PUT", "/empty", ALICE, "x"));
  assert.equal(plan.status, 405);
  assert.equal(field(plan, "Allow"), "GET, HEAD, OPTIONS, POST");
  const root = await responder.respond(request("PUT", "/", ALICE, "x"));
  assert.equal(root.status, 405);
  assert.equal(field(root, "Allow"), "GET, HEAD, OPTIONS");
});

Deno.test("planPut() checks If-Match and If-None-Match: * before reading the body (412)", async () => {
  const { fs, responder } = writable();
  const etag = makeETag(await fs.stat(`${ROOT}/old.txt`));
  const cases: Array<[string, Record<string, string>, number]> = [
    ["/old.txt", { "If-None-Match": "*" }, 412],
    ["/brand-new.txt", { "If-Match": "*" }, 412],
    ["/old.txt", { "If-Match": '"stale"' }, 412],
    ["/old.txt", { "If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT" }, 412],
    ["/created.txt", { "If-None-Match": "*" }, 201],
    ["/old.txt", { "If-Match": etag }, 204],
  ];
  for (const [target, h, want] of cases) {
    const { t, body } = trackedBody(["x"]);
    const plan = await responder.respond(request("PUT", target, { ...ALICE, ...h }, body));
    assert.equal(plan.status, want, `${target} ${JSON.stringify(h)}`);
    assert.equal(t.reads, want === 412 ? 0 : 1);
  }
});

Deno.test("planPut() leaves the old file and no temporary file when writing fails midway", async () => {
  const { fs, responder } = writable();
  fs.fail({ op: "writeAtomic", error: new FsError("other", "ENOSPC"), afterBytes: 3 });
  const plan = await responder.respond(request(
    "PUT",
    "/old.txt",
    ALICE,
    chunks([
      enc.encode("abc"),
      enc.encode("def"),
    ]),
  ));
  assert.equal(plan.status, 500);
  assert.equal(plan.note?.level, "crit");
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
  noTempFiles(fs.paths());
});

Deno.test("planPut() rethrows a body error (client gone) and keeps the old file", async () => {
  const { fs, responder } = writable();
  const { body } = trackedBody(["half", "rest"], true);
  await assert.rejects(
    responder.respond(request("PUT", "/old.txt", ALICE, body)),
    /client closed the connection/,
  );
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
  noTempFiles(fs.paths());
});

Deno.test("planPut() maps a denied write to 403", async () => {
  const { fs, responder } = writable();
  fs.fail({ op: "writeAtomic", error: new FsError("denied", "EACCES") });
  assert.equal((await responder.respond(request("PUT", "/old.txt", ALICE, "x"))).status, 403);
});

Deno.test("planDelete() removes a file (204), 404 when missing, 405 for folders, 412 on If-Match", async () => {
  const { fs, responder } = writable();
  const stale = await responder.respond(
    request("DELETE", "/old.txt", { ...ALICE, "If-Match": '"x"' }),
  );
  assert.equal(stale.status, 412);
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
  const ok = await responder.respond(request("DELETE", "/old.txt", ALICE));
  assert.equal(ok.status, 204);
  assert.equal(fs.contents(`${ROOT}/old.txt`), undefined);
  assert.equal((await responder.respond(request("DELETE", "/old.txt", ALICE))).status, 404);
  const folder = await responder.respond(request("DELETE", "/docs/", ALICE));
  assert.equal(folder.status, 405);
  assert.equal(field(folder, "Allow"), "GET, HEAD, POST, OPTIONS");
  assert.equal(
    (await responder.respond(request("DELETE", "/docs/index.html/", ALICE))).status,
    404,
  );
});

Deno.test("planDelete() maps a failing remove to 500", async () => {
  const { fs, responder } = writable();
  fs.fail({ op: "remove", error: new FsError("other", "EIO") });
  assert.equal((await responder.respond(request("DELETE", "/old.txt", ALICE))).status, 500);
});

Deno.test("guardWrite() answers 403 when WriteAccess is Off or the path is outside WritePaths", async () => {
  const off = site();
  off.fs.file(`${ROOT}/old.txt`, "x");
  for (const method of ["PUT", "DELETE"]) {
    const plan = await off.responder.respond(request(method, "/old.txt", ALICE, "y"));
    assert.equal(plan.status, 403, method);
    assert.match(plan.note!.message, /WriteAccess is Off/);
  }
  const { fs, responder, auth } = writable({ writePaths: ["/docs/"] });
  const outside = await responder.respond(request("PUT", "/old.txt", ALICE, "y"));
  assert.equal(outside.status, 403);
  assert.match(outside.note!.message, /outside WritePaths/);
  const sibling = await responder.respond(request("PUT", "/docsx.txt", ALICE, "y"));
  assert.equal(sibling.status, 403, "a prefix matches whole segments only");
  assert.equal(auth.seen.length, 0, "no credentials asked where they could not help");
  assert.equal((await responder.respond(request("PUT", "/docs/a.txt", ALICE, "y"))).status, 201);
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
});

Deno.test("guardWrite() answers 401 with the Basic challenge, logged, before reading the body", async () => {
  const { fs, responder } = writable();
  for (const h of [{}, { authorization: "Basic " + btoa("alice:wrong") }]) {
    const { t, body } = trackedBody(["x"]);
    const plan = await responder.respond(request("PUT", "/old.txt", h, body));
    assert.equal(plan.status, 401);
    assert.equal(field(plan, "WWW-Authenticate"), BASIC_CHALLENGE);
    assert.match(plan.note!.message, /PUT \/old.txt unauthorized/);
    assert.equal(t.reads, 0);
  }
  const del = await responder.respond(request("DELETE", "/old.txt"));
  assert.equal(del.status, 401);
  assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
});

Deno.test("guardWrite() answers 429 or 503 with Retry-After when password checks are limited, and touches nothing", async () => {
  for (const [kind, status] of [["throttled", 429], ["busy", 503]] as const) {
    const { fs, responder, auth } = writable();
    auth.result = { kind, retryAfterS: 2, reason: "limited", log: true };
    const from = { ...request("PUT", "/old.txt", ALICE, "x"), clientIp: "192.0.2.7" };
    const plan = await responder.respond(from);
    assert.equal(auth.clients[0], "192.0.2.7", "the client's allowance is asked for");
    assert.equal(plan.status, status);
    assert.deepEqual(plan.fields.filter(([n]) => n === "Retry-After"), [["Retry-After", "2"]]);
    assert.equal(plan.note?.level, "warn");
    assert.equal(fs.text(`${ROOT}/old.txt`), "old contents");
    auth.result = { kind, retryAfterS: 1, reason: "limited", log: false };
    const quiet = await responder.respond(request("PUT", "/old.txt", ALICE, "x"));
    assert.equal(quiet.note, undefined, "only the first of a run is logged");
  }
});

Deno.test("guardWrite() answers 500 when credentials cannot be checked, and 403 without a PasswordFile", async () => {
  const s = writable();
  s.auth.result = { kind: "unavailable", reason: "PasswordFile missing" };
  const plan = await s.responder.respond(request("PUT", "/old.txt", ALICE, "x"));
  assert.equal(plan.status, 500);
  assert.equal(plan.note?.level, "crit");
  const none = writable();
  const noFile = site({ writeAccess: true }, { auth: null });
  noFile.fs.file(`${ROOT}/old.txt`, "x");
  assert.equal(
    (await noFile.responder.respond(request("PUT", "/old.txt", ALICE, "y"))).status,
    403,
  );
  assert.equal((await none.responder.respond(request("PUT", "/old.txt", ALICE, "y"))).status, 204);
});

Deno.test("planPost() answers like GET for a file and for a folder's index.html", async () => {
  const { fs, responder } = writable();
  const file = await responder.respond(request("POST", "/old.txt", {}, "ignored"));
  assert.equal(file.status, 200);
  assert.equal(await bodyText(fs, file.body), "old contents");
  const index = await responder.respond(request("POST", "/docs/", {}, "ignored"));
  assert.equal(index.status, 200);
  assert.equal(await bodyText(fs, index.body), "<p>docs</p>");
  assert.equal((await responder.respond(request("POST", "/missing.txt", {}, "x"))).status, 404);
});

Deno.test("planPost() answers 405 with Allow for folders that take no uploads", async () => {
  const { responder } = writable();
  const empty = await responder.respond(request("POST", "/empty/", {}, "x"));
  assert.equal(empty.status, 405);
  assert.equal(field(empty, "Allow"), "GET, HEAD, OPTIONS");
  const noSlash = await responder.respond(request("POST", "/docs", {}, "x"));
  assert.equal(noSlash.status, 405);
  assert.equal(field(noSlash, "Allow"), "GET, HEAD, POST, OPTIONS");
});

Deno.test("planPost() stores an upload under UploadPaths as a new file (201 + Location)", async () => {
  const { fs, responder } = writable({ uploadPaths: ["/empty"] });
  const anon = await responder.respond(request("POST", "/empty/", {}, "data"));
  assert.equal(anon.status, 401, "a PasswordFile makes uploads need credentials too");
  const plan = await responder.respond(request("POST", "/empty/", ALICE, "data"));
  assert.equal(plan.status, 201);
  assert.equal(field(plan, "Location"), "/empty/upload-1.bin");
  assert.equal(fs.text(`${ROOT}/empty/upload-1.bin`), "data");
  const noLength = await responder.respond(request("POST", "/empty/", ALICE, null));
  assert.equal(noLength.status, 411);
});

Deno.test("planPost() takes anonymous uploads when there is no PasswordFile", async () => {
  const s = site({ uploadPaths: ["/in"] }, { auth: null, uploadName: newUploadName });
  s.fs.dir(`${ROOT}/in`);
  const plan = await s.responder.respond(
    request("POST", "/in", { "Content-Type": "text/plain; charset=utf-8" }, "note"),
  );
  assert.equal(plan.status, 201);
  const location = field(plan, "Location")!;
  assert.match(location, /^\/in\/[0-9a-z]+-[0-9a-f]{16}\.txt$/);
  assert.equal(s.fs.text(ROOT + location), "note");
});

Deno.test("newUploadName() gives distinct names with the media type's extension", () => {
  const a = newUploadName("image/png");
  assert.match(a, /^[0-9a-z]+-[0-9a-f]{16}\.png$/);
  assert.notEqual(newUploadName("image/png"), a);
  assert.match(newUploadName(undefined), /^[0-9a-z]+-[0-9a-f]{16}$/);
  assert.match(newUploadName("x/unknown"), /^[0-9a-z]+-[0-9a-f]{16}$/);
  for (const active of ["text/html; charset=utf-8", "image/svg+xml", "text/javascript"]) {
    assert.match(newUploadName(active), /^[0-9a-z]+-[0-9a-f]{16}$/, "no active content");
  }
  assert.match(newUploadName("Text/Plain; charset=utf-8"), /\.txt$/);
});

Deno.test("planPut() checks If-Match again just before the rename (no lost update)", async () => {
  const { fs, responder } = writable();
  const etag = makeETag(await fs.stat(`${ROOT}/old.txt`));
  // While this body is still arriving, another writer replaces the file.
  const body = {
    async *[Symbol.asyncIterator]() {
      yield enc.encode("mine ");
      fs.file(`${ROOT}/old.txt`, "theirs", { mtimeMs: Date.now() + 5000 });
      yield enc.encode("edit");
    },
  };
  const plan = await responder.respond(
    request("PUT", "/old.txt", { ...ALICE, "if-match": etag }, body),
  );
  assert.equal(plan.status, 412);
  assert.equal(fs.text(`${ROOT}/old.txt`), "theirs");
  noTempFiles([...fs.paths()]);
});
