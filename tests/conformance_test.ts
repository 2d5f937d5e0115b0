/**
 * The seed project's own check, black-box against the real server: GET, HEAD and POST of each
 * file type in www/html, PUT then DELETE of a file (Basic auth), 404 for missing files, 403
 * for an unreadable file, `Range: bytes=0-100` returning at most 101 bytes, and a clean exit
 * on SIGTERM. Raw TCP wherever exact bytes matter.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { headerOf, send, utf8 } from "./helpers/raw_http.ts";
import { REPO } from "./helpers/server.ts";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";

/** Every file under www/html, as URL paths. */
function siteFiles(dir = join(REPO, "www", "html"), prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...siteFiles(join(dir, e.name), `${prefix}/${e.name}`));
    else out.push(`${prefix}/${e.name}`);
  }
  return out.sort();
}

/** Header fields that differ between two responses for the same file: the time, a new session. */
function stable(fields: Array<[string, string]>): Array<[string, string]> {
  return fields.filter(([n]) => n !== "date" && n !== "set-cookie");
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  ico: "image/vnd.microsoft.icon",
  png: "image/png",
  pdf: "application/pdf",
  webm: "video/webm",
};

Deno.test({
  name: "conformance: GET, HEAD, POST, PUT, DELETE, 404, 403, Range and SIGTERM on the real server",
  ignore: !BLACK_BOX,
  async fn(t) {
    const { s, cleanup } = await writableServer();
    try {
      await t.step("GET, HEAD and POST of each file type return the file's bytes", async () => {
        const files = siteFiles();
        assert.deepEqual(
          new Set(files.map((f) => f.slice(f.lastIndexOf(".") + 1))),
          new Set(Object.keys(TYPES)),
        );
        for (const path of files) {
          const want = Deno.readFileSync(join(s.root, path));
          const type = TYPES[path.slice(path.lastIndexOf(".") + 1)];
          const get = await send(s.port, path);
          assert.equal(get.status, 200, path);
          assert.equal(headerOf(get, "content-type"), type, path);
          assert.equal(headerOf(get, "content-length"), String(want.length), path);
          assert.deepEqual(get.body, want, path);
          const head = await send(s.port, path, { method: "HEAD" });
          assert.equal(head.status, 200, path);
          assert.deepEqual(stable(head.fields), stable(get.fields), path);
          const post = await send(s.port, path, { method: "POST", body: "a=1&b=2" });
          assert.equal(post.status, 200, path);
          assert.deepEqual(post.body, want, path);
        }
      });

      await t.step(
        "fetch() sees the same bytes, decompressed when the server compresses",
        async () => {
          for (const path of ["/index.html", "/style.css", "/images/logo.png"]) {
            const r = await fetch(s.url + path);
            assert.equal(r.status, 200);
            assert.deepEqual(
              new Uint8Array(await r.arrayBuffer()),
              Deno.readFileSync(join(s.root, path)),
            );
          }
        },
      );

      await t.step(
        "PUT creates then replaces a file and DELETE removes it, with Basic auth",
        async () => {
          const unauthorized = await send(s.port, "/notes.txt", { method: "PUT", body: "x" });
          assert.equal(unauthorized.status, 401);
          assert.equal(
            headerOf(unauthorized, "www-authenticate"),
            'Basic realm="httpserver", charset="UTF-8"',
          );
          const created = await send(s.port, "/notes.txt", {
            method: "PUT",
            headers: WRITER,
            body: "first",
          });
          assert.equal(created.status, 201);
          assert.equal(headerOf(created, "location"), "/notes.txt");
          assert.equal(Deno.readTextFileSync(join(s.root, "notes.txt")), "first");
          assert.equal(utf8((await send(s.port, "/notes.txt")).body), "first");
          const replaced = await send(s.port, "/notes.txt", {
            method: "PUT",
            headers: WRITER,
            body: "second",
          });
          assert.equal(replaced.status, 204);
          assert.equal(utf8((await send(s.port, "/notes.txt")).body), "second");
          const deleted = await send(s.port, "/notes.txt", { method: "DELETE", headers: WRITER });
          assert.equal(deleted.status, 204);
          assert.equal((await send(s.port, "/notes.txt")).status, 404);
          assert.throws(() => Deno.statSync(join(s.root, "notes.txt")), Deno.errors.NotFound);
        },
      );

      await t.step("missing files are 404 with the error page", async () => {
        for (const path of ["/missing.html", "/docs/missing.pdf", "/images/", "/nope/deeper.png"]) {
          const r = await send(s.port, path);
          assert.equal(r.status, path === "/images/" ? 403 : 404, path);
          if (r.status === 404) assert.match(utf8(r.body), /404/);
        }
      });

      await t.step("an unreadable file is 403", async () => {
        const path = join(s.root, "secret.txt");
        Deno.writeTextFileSync(path, "top secret");
        Deno.chmodSync(path, 0o000);
        const r = await send(s.port, "/secret.txt");
        assert.equal(r.status, 403);
        assert.doesNotMatch(utf8(r.body), /top secret/);
      });

      await t.step("Range: bytes=0-100 returns at most 101 bytes", async () => {
        for (const path of ["/hello.txt", "/media/sample.webm", "/favicon.ico"]) {
          const want = Deno.readFileSync(join(s.root, path));
          const r = await send(s.port, path, { headers: { Range: "bytes=0-100" } });
          assert.equal(r.status, 206, path);
          assert(r.body.length <= 101, path);
          assert.deepEqual(r.body, want.slice(0, 101), path);
          assert.equal(
            headerOf(r, "content-range"),
            `bytes 0-${Math.min(100, want.length - 1)}/${want.length}`,
          );
        }
      });
    } finally {
      await cleanup();
    }
  },
});
