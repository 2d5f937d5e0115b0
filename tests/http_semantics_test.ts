/**
 * Black-box tests of issue 3's HTTP semantics over raw TCP: every status the static layer
 * sends (201, 204, 206, 304, 400, 401, 403, 404, 405, 409, 411, 412, 415, 416, 500), each
 * with its error page from error/, plus OPTIONS, uploads, Expect: 100-continue, chunked PUT,
 * compression and digests on the wire. Protocol-level statuses (400 framing, 408, 413, 414,
 * 417, 431, 501, 503, 505) are covered by core_test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "./helpers/paths.ts";
import {
  headerOf,
  latin1Bytes,
  parseResponses,
  type RawResponse,
  send,
  utf8,
} from "./helpers/raw_http.ts";
import { rawExchange } from "./helpers/server.ts";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";

/** An error response: status, the shared page design, no caching. */
function assertErrorPage(r: RawResponse, status: number, what: string): void {
  assert.equal(r.status, status, what);
  assert.equal(headerOf(r, "content-type"), "text/html; charset=utf-8", what);
  assert.equal(headerOf(r, "cache-control"), "no-store", what);
  const html = utf8(r.body);
  assert.match(html, new RegExp(`<p class="code">${status}</p>`), what);
  assert.match(html, /href="\/\.error\/error\.css"/, what);
}

/** Send a head, wait up to 500 ms for an answer, send the body, then read until closed. */
async function expectContinue(port: number, head: string, body: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  await conn.write(enc.encode(head));
  const buf = new Uint8Array(65536);
  let got = "";
  const early = await Promise.race([
    conn.read(buf),
    new Promise<"late">((r) => setTimeout(() => r("late"), 500)),
  ]);
  if (typeof early === "number") got += new TextDecoder().decode(buf.subarray(0, early));
  if (!/^HTTP\/1\.1 [2-5]/.test(got)) await conn.write(enc.encode(body)).catch(() => 0);
  for (;;) {
    const n = early === null ? null : await conn.read(buf).catch(() => null);
    if (n === null) break;
    got += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return got;
}

async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test({
  name: "HTTP semantics: conditional, range, write, upload and error statuses on the real server",
  ignore: !BLACK_BOX,
  async fn(t) {
    const { s, cleanup } = await writableServer({
      WritePaths: "/docs /uploads",
      UploadPaths: "/uploads",
      ContentDigest: "On",
    });
    Deno.mkdirSync(join(s.root, "uploads"));
    const hello = Deno.readFileSync(join(s.root, "hello.txt"));
    try {
      await t.step(
        "304 for If-None-Match and If-Modified-Since, with only the allowed fields",
        async () => {
          const first = await send(s.port, "/style.css");
          const etag = headerOf(first, "etag")!;
          for (
            const h of [{ "If-None-Match": etag }, {
              "If-Modified-Since": headerOf(first, "last-modified")!,
            }]
          ) {
            const r = await send(s.port, "/style.css", { headers: h });
            assert.equal(r.status, 304);
            assert.equal(r.body.length, 0);
            assert.equal(headerOf(r, "etag"), etag);
            assert.equal(headerOf(r, "cache-control"), "public, max-age=3600");
            for (const gone of ["content-length", "content-type", "last-modified", "content-md5"]) {
              assert.equal(headerOf(r, gone), undefined, gone);
            }
          }
        },
      );

      await t.step("412 for a failed If-Match on GET and If-None-Match: * on PUT", async () => {
        assertErrorPage(
          await send(s.port, "/hello.txt", { headers: { "If-Match": '"nope"' } }),
          412,
          "GET",
        );
        const put = await send(s.port, "/docs/index.html", {
          method: "PUT",
          headers: { ...WRITER, "If-None-Match": "*" },
          body: "overwrite",
        });
        assertErrorPage(put, 412, "PUT");
        assert.match(Deno.readTextFileSync(join(s.root, "docs", "index.html")), /<html/);
      });

      await t.step(
        "206 multipart/byteranges and 416 with Content-Range: bytes */size",
        async () => {
          const multi = await send(s.port, "/hello.txt", { headers: { Range: "bytes=0-4,-3" } });
          assert.equal(multi.status, 206);
          const boundary = /boundary=(\S+)$/.exec(headerOf(multi, "content-type")!)![1]!;
          assert.equal(Number(headerOf(multi, "content-length")), multi.body.length);
          const text = utf8(multi.body);
          assert.equal(text.split(`--${boundary}`).length, 4);
          assert.match(
            text,
            new RegExp(`Content-Range: bytes 0-4/${hello.length}\\r\\n\\r\\nHello`),
          );
          const none = await send(s.port, "/hello.txt", { headers: { Range: "bytes=99999-" } });
          assertErrorPage(none, 416, "416");
          assert.equal(headerOf(none, "content-range"), `bytes */${hello.length}`);
          const invalid = await send(s.port, "/hello.txt", { headers: { Range: "bytes=5-1" } });
          assert.equal(invalid.status, 200, "a syntactically invalid Range is ignored");
        },
      );

      await t.step("401 for missing or wrong credentials, 403 outside WritePaths", async () => {
        const wrong = await send(s.port, "/docs/a.txt", {
          method: "PUT",
          headers: { Authorization: "Basic " + btoa("writer:wrong") },
          body: "x",
        });
        assertErrorPage(wrong, 401, "wrong password");
        assert.equal(
          headerOf(wrong, "www-authenticate"),
          'Basic realm="httpserver", charset="UTF-8"',
        );
        assertErrorPage(await send(s.port, "/docs/a.txt", { method: "DELETE" }), 401, "DELETE");
        const outside = await send(s.port, "/hello.txt", {
          method: "PUT",
          headers: WRITER,
          body: "x",
        });
        assertErrorPage(outside, 403, "outside WritePaths");
        assert.deepEqual(Deno.readFileSync(join(s.root, "hello.txt")), hello);
      });

      await t.step("405 with Allow for folders, 409 without a parent folder", async () => {
        const del = await send(s.port, "/docs/", { method: "DELETE", headers: WRITER });
        assertErrorPage(del, 405, "DELETE folder");
        assert.equal(headerOf(del, "allow"), "GET, HEAD, POST, OPTIONS");
        const post = await send(s.port, "/images/", { method: "POST", body: "x" });
        assertErrorPage(post, 405, "POST folder");
        assert.equal(headerOf(post, "allow"), "GET, HEAD, OPTIONS");
        const orphan = await send(s.port, "/docs/no/such.txt", {
          method: "PUT",
          headers: WRITER,
          body: "x",
        });
        assertErrorPage(orphan, 409, "no parent");
      });

      await t.step(
        "411 without a length, 415 for a coded body, 400 for Content-Range",
        async () => {
          const r = latin1Bytes(
            await rawExchange(
              s.port,
              `PUT /docs/a.txt HTTP/1.1\r\nHost: t\r\nAuthorization: ${WRITER.Authorization}\r\nConnection: close\r\n\r\n`,
            ),
          );
          assertErrorPage(parseResponses(r)[0]!, 411, "411");
          const coded = await send(s.port, "/docs/a.txt", {
            method: "PUT",
            headers: { ...WRITER, "Content-Encoding": "gzip" },
            body: "x",
          });
          assertErrorPage(coded, 415, "415");
          assert.equal(headerOf(coded, "accept-encoding"), "identity");
          const partial = await send(s.port, "/docs/a.txt", {
            method: "PUT",
            headers: { ...WRITER, "Content-Range": "bytes 0-0/1" },
            body: "x",
          });
          assertErrorPage(partial, 400, "400");
        },
      );

      await t.step(
        "PUT with a chunked body, and Expect: 100-continue only after authorization",
        async () => {
          const chunked = latin1Bytes(
            await rawExchange(
              s.port,
              `PUT /docs/chunked.txt HTTP/1.1\r\nHost: t\r\nAuthorization: ${WRITER.Authorization}\r\n` +
                `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
            ),
          );
          assert.equal(parseResponses(chunked)[0]!.status, 201);
          assert.equal(Deno.readTextFileSync(join(s.root, "docs", "chunked.txt")), "hello world");
          // Like curl: wait briefly for 100 Continue, then send the body anyway.
          // TODO(integrator): connection.ts sends 100 Continue when it drains an unread body,
          // so the 401 comes only after the body; RFC 9110 §10.1.1 lets it answer 401 at once.
          const refused = await expectContinue(
            s.port,
            `PUT /docs/e.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n`,
            "hello",
          );
          assert.match(refused, /HTTP\/1\.1 401 /);
          assert.throws(() => Deno.statSync(join(s.root, "docs", "e.txt")), Deno.errors.NotFound);
          const accepted = await rawExchange(
            s.port,
            `PUT /docs/e.txt HTTP/1.1\r\nHost: t\r\nAuthorization: ${WRITER.Authorization}\r\n` +
              `Expect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
          );
          assert.match(accepted, /^(HTTP\/1\.1 100 Continue\r\n\r\n)?HTTP\/1\.1 201 /);
        },
      );

      await t.step("POST to an upload folder stores a new file: 201 + Location", async () => {
        const r = await send(s.port, "/uploads/", {
          method: "POST",
          headers: { ...WRITER, "Content-Type": "text/plain" },
          body: "uploaded",
        });
        assert.equal(r.status, 201);
        const location = headerOf(r, "location")!;
        assert.match(location, /^\/uploads\/[0-9a-z]+-[0-9a-f]{16}\.txt$/);
        const back = await send(s.port, location);
        assert.equal(utf8(back.body), "uploaded");
        assert.equal(headerOf(back, "content-type"), "text/plain; charset=utf-8");
      });

      await t.step("OPTIONS * and per path answer 204 with Allow", async () => {
        const star = await send(s.port, "*", { method: "OPTIONS" });
        assert.equal(star.status, 204);
        assert.equal(headerOf(star, "allow"), "GET, HEAD, POST, OPTIONS, PUT, DELETE");
        assert.equal(
          headerOf(await send(s.port, "/docs/guide.pdf", { method: "OPTIONS" }), "allow"),
          "GET, HEAD, POST, OPTIONS, PUT, DELETE",
        );
        assert.equal(
          headerOf(await send(s.port, "/hello.txt", { method: "OPTIONS" }), "allow"),
          "GET, HEAD, POST, OPTIONS",
        );
        assert.equal(
          headerOf(await send(s.port, "/uploads/", { method: "OPTIONS" }), "allow"),
          "GET, HEAD, OPTIONS, POST",
        );
      });

      await t.step("Content-MD5 and Repr-Digest on full responses", async () => {
        const r = await send(s.port, "/hello.txt");
        assert.equal(headerOf(r, "content-md5"), createHash("md5").update(hello).digest("base64"));
        assert.equal(
          headerOf(r, "repr-digest"),
          `sha-256=:${createHash("sha256").update(hello).digest("base64")}:`,
        );
        const part = await send(s.port, "/hello.txt", { headers: { Range: "bytes=0-1" } });
        assert.equal(headerOf(part, "content-md5"), undefined);
      });

      await t.step("gzip on the fly, precompressed .br siblings, Vary on both", async () => {
        const page = Deno.readFileSync(join(s.root, "index.html"));
        const gz = await send(s.port, "/index.html", { headers: { "Accept-Encoding": "gzip" } });
        assert.equal(headerOf(gz, "content-encoding"), "gzip");
        assert.equal(headerOf(gz, "transfer-encoding"), "chunked");
        assert.equal(headerOf(gz, "vary"), "Accept-Encoding");
        assert.deepEqual(await gunzip(gz.body), page);
        const head = await send(s.port, "/index.html", {
          method: "HEAD",
          headers: { "Accept-Encoding": "gzip" },
        });
        assert.equal(headerOf(head, "content-encoding"), "gzip");
        const br = new Uint8Array([0x0b, 0x02, 0x80, 0x68, 0x69, 0x03]);
        Deno.writeFileSync(join(s.root, "style.css.br"), br);
        const sib = await send(s.port, "/style.css", {
          headers: { "Accept-Encoding": "gzip, br" },
        });
        assert.equal(headerOf(sib, "content-encoding"), "br");
        assert.deepEqual(sib.body, br);
        const plain = await send(s.port, "/style.css");
        assert.equal(headerOf(plain, "content-encoding"), undefined);
        assert.equal(headerOf(plain, "vary"), "Accept-Encoding");
      });
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "HTTP semantics: DirectoryListing On lists a folder without index.html",
  ignore: !BLACK_BOX,
  async fn() {
    // An unusable PasswordFile now stops start-up (tests/cli_test.ts), so it is not tested here.
    const { s, cleanup } = await writableServer({ DirectoryListing: "On" });
    try {
      assert.equal((await send(s.port, "/hello.txt")).status, 200);
      const listing = await send(s.port, "/images/");
      assert.equal(listing.status, 200);
      assert.match(utf8(listing.body), /<a href="\/images\/logo\.png">logo\.png<\/a>/);
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "HTTP semantics: a symlinked folder under WritePaths does not lead writes elsewhere",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer({ WritePaths: "/w" });
    try {
      Deno.mkdirSync(join(s.root, "w"));
      Deno.mkdirSync(join(s.root, "priv"));
      Deno.writeTextFileSync(join(s.root, "priv", "a.txt"), "private");
      Deno.symlinkSync("../priv", join(s.root, "w", "link"));
      const put = await send(s.port, "/w/link/a.txt", {
        method: "PUT",
        headers: WRITER,
        body: "owned",
      });
      assert.equal(put.status, 403);
      const del = await send(s.port, "/w/link/a.txt", { method: "DELETE", headers: WRITER });
      assert.equal(del.status, 403);
      assert.equal(Deno.readTextFileSync(join(s.root, "priv", "a.txt")), "private");
      const ok = await send(s.port, "/w/own.txt", { method: "PUT", headers: WRITER, body: "mine" });
      assert.equal(ok.status, 201);
    } finally {
      await cleanup();
    }
  },
});
