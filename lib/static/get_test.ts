import assert from "node:assert/strict";
import { formatHttpDate } from "../http/http_date.ts";
import { ifRangeAllows } from "./conditional.ts";
import { field, request, ROOT, site } from "./test_support.ts";

const css = "body { color: red } ".repeat(100);

Deno.test("planFile() ignores a .gz sibling older than its file (replaced by PUT)", async () => {
  const { fs, responder } = site({ compression: true, compressionTypes: ["text/css"] });
  fs.file(`${ROOT}/s.css.gz`, "old gzip bytes", { mtimeMs: Date.UTC(2024, 0, 1) });
  fs.file(`${ROOT}/s.css`, css, { mtimeMs: Date.UTC(2024, 0, 2) });
  const plan = await responder.respond(request("GET", "/s.css", { "accept-encoding": "gzip" }));
  assert.equal(plan.status, 200);
  assert.ok(
    !(plan.body.kind === "file" && plan.body.path.endsWith(".gz")),
    "not the stale sibling",
  );
  const etag = field(plan, "ETag")!;
  assert.ok(etag.startsWith("W/") || !etag.includes("gzip"), `no sibling ETag: ${etag}`);
});

Deno.test("planFile() answers several ranges of an encoded sibling with the full 200", async () => {
  const { fs, responder } = site({ compression: true, compressionTypes: ["text/css"] });
  fs.file(`${ROOT}/s.css`, css, { mtimeMs: Date.UTC(2024, 0, 1) });
  fs.file(`${ROOT}/s.css.gz`, "x".repeat(500), { mtimeMs: Date.UTC(2024, 0, 2) });
  const multi = await responder.respond(
    request("GET", "/s.css", { "accept-encoding": "gzip", range: "bytes=0-5,10-15" }),
  );
  assert.equal(multi.status, 200);
  assert.equal(field(multi, "Content-Encoding"), "gzip");
  const one = await responder.respond(
    request("GET", "/s.css", { "accept-encoding": "gzip", range: "bytes=0-5" }),
  );
  assert.equal(one.status, 206); // a single range of the encoded bytes is well defined
});

Deno.test("ifRangeAllows() accepts a date only for a Last-Modified a second older than now (§13.1.5)", () => {
  const lm = Date.UTC(2024, 0, 1, 12, 0, 0);
  const v = { etag: '"x"', lastModifiedMs: lm, exists: true };
  assert.equal(ifRangeAllows(formatHttpDate(lm), v, lm + 500), false); // same second: weak
  assert.equal(ifRangeAllows(formatHttpDate(lm), v, lm + 1000), true);
  assert.equal(ifRangeAllows(formatHttpDate(lm - 1000), v, lm + 5000), false);
});
