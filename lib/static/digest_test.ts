import assert from "node:assert/strict";
import { DigestCache, digestFields, digestStream } from "./digest.ts";
import { FsError } from "./fs_port.ts";
import { MemoryFileSystem } from "./memory_fs.ts";
import { field, request, ROOT, site } from "./test_support.ts";

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new Blob([text]).stream();
}

// Known values: RFC 1864 has no test vector for base64 output; these are md5/sha256 of the text.
const HELLO_MD5 = "XrY7u+Ae7tCTyyK7j1rNww=="; // md5("hello world")
const HELLO_SHA256 = "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="; // sha256("hello world")

Deno.test("digestStream() hashes MD5 and SHA-256 in one pass", async () => {
  const d = await digestStream(streamOf("hello world"));
  assert.deepEqual(d, { md5: HELLO_MD5, sha256: HELLO_SHA256, size: 11 });
  const empty = await digestStream(streamOf(""));
  assert.equal(empty.md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
  assert.equal(empty.sha256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
});

Deno.test("digestFields() formats Content-MD5 and Repr-Digest (RFC 9530 §3)", () => {
  assert.deepEqual(digestFields({ md5: "A==", sha256: "B=", size: 1 }), [
    ["Content-MD5", "A=="],
    ["Repr-Digest", "sha-256=:B=:"],
  ]);
});

Deno.test("DigestCache.get() reads a file version once, shared by concurrent requests", async () => {
  const fs = new MemoryFileSystem().file("/a", "hello world");
  const cache = new DigestCache(4);
  const [a, b] = await Promise.all([
    cache.get(fs, "/a", '"v1"', 11),
    cache.get(fs, "/a", '"v1"', 11),
  ]);
  assert.equal(a?.md5, HELLO_MD5);
  assert.equal(b, a);
  assert.equal(await cache.get(fs, "/a", '"v1"', 11), a);
  assert.equal(fs.calls.filter((c) => c === "readFile /a").length, 1);
  fs.file("/a", "changed");
  assert.notEqual((await cache.get(fs, "/a", '"v2"', 7))?.md5, HELLO_MD5);
  assert.equal(fs.calls.filter((c) => c === "readFile /a").length, 2);
});

Deno.test("DigestCache.get() gives null and caches nothing when the read fails or the size differs", async () => {
  const fs = new MemoryFileSystem().file("/a", "hello world");
  fs.fail({ op: "readFile", path: "/a", error: new FsError("other", "EIO"), once: true });
  const cache = new DigestCache(4);
  assert.equal(await cache.get(fs, "/a", '"v1"', 11), null);
  assert.equal(await cache.get(fs, "/a", '"v1"', 99), null, "file changed size since stat");
  assert.equal((await cache.get(fs, "/a", '"v1"', 11))?.md5, HELLO_MD5);
  assert.equal(cache.size, 1);
});

Deno.test("DigestCache keeps at most its bound of versions", async () => {
  const fs = new MemoryFileSystem();
  const cache = new DigestCache(2);
  for (const name of ["/a", "/b", "/c"]) {
    fs.file(name, name);
    await cache.get(fs, name, '"x"', 2);
  }
  assert.equal(cache.size, 2);
});

Deno.test("Responder sends Content-MD5 and Repr-Digest on full 200 responses only", async () => {
  const s = site({ contentDigest: true });
  s.fs.file(`${ROOT}/hello.txt`, "hello world");
  const get = await s.responder.respond(request("GET", "/hello.txt"));
  assert.equal(field(get, "Content-MD5"), HELLO_MD5);
  assert.equal(field(get, "Repr-Digest"), `sha-256=:${HELLO_SHA256}:`);
  const head = await s.responder.respond(request("HEAD", "/hello.txt"));
  assert.equal(field(head, "Content-MD5"), HELLO_MD5);
  const part = await s.responder.respond(request("GET", "/hello.txt", { Range: "bytes=0-1" }));
  assert.equal(part.status, 206);
  assert.equal(field(part, "Content-MD5"), undefined);
  const etag = field(get, "ETag")!;
  const nm = await s.responder.respond(request("GET", "/hello.txt", { "If-None-Match": etag }));
  assert.equal(field(nm, "Repr-Digest"), undefined);
  assert.equal(s.fs.calls.filter((c) => c === `readFile ${ROOT}/hello.txt`).length, 1);
  const off = site();
  off.fs.file(`${ROOT}/hello.txt`, "hello world");
  const plain = await off.responder.respond(request("GET", "/hello.txt"));
  assert.equal(field(plain, "Content-MD5"), undefined);
});

Deno.test("Responder sends no digest for a file over ContentDigestMaxSize, and never reads it", async () => {
  const s = site({ contentDigest: true, contentDigestMaxBytes: 11 });
  s.fs.file(`${ROOT}/hello.txt`, "hello world"); // 11 bytes: at the limit
  s.fs.file(`${ROOT}/big.txt`, "hello world!"); // 12 bytes: over it
  const small = await s.responder.respond(request("HEAD", "/hello.txt"));
  assert.equal(field(small, "Content-MD5"), HELLO_MD5);
  const big = await s.responder.respond(request("HEAD", "/big.txt"));
  assert.equal(big.status, 200);
  assert.equal(field(big, "Content-MD5"), undefined);
  assert.equal(field(big, "Repr-Digest"), undefined);
  assert.equal(s.fs.calls.filter((c) => c === `readFile ${ROOT}/big.txt`).length, 0);
});
