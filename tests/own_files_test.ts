/**
 * The server's own files and upload folders (issue 19, items 9 and 10): a PasswordFile and a
 * SessionKeyFile placed inside the document root are never served, written, removed or listed,
 * by their name or through a link, and the server warns about them at start and in
 * --check-config; upload folders are never listed. Real server, real sockets, real files.
 */
import assert from "node:assert/strict";
import { passwordLine, PBKDF2_MIN_ITERATIONS } from "../lib/auth/password_file.ts";
import { join } from "./helpers/paths.ts";
import { send, utf8 } from "./helpers/raw_http.ts";
import { configText, REPO, RUN_FLAGS, startServer, tempDir } from "./helpers/server.ts";
import { BLACK_BOX, WRITER } from "./helpers/writable.ts";

const SESSION_KEY = "k".repeat(40);

/** A document root holding the server's password and session key files. */
async function rootWithSecrets(): Promise<{ root: string; passwords: string; key: string }> {
  const root = join(tempDir(), "html");
  Deno.mkdirSync(join(root, "sub"), { recursive: true });
  Deno.writeTextFileSync(join(root, "sub", "visible.txt"), "visible\n");
  const passwords = join(root, "passwords");
  const line = await passwordLine("writer", "correct horse", { iterations: PBKDF2_MIN_ITERATIONS });
  Deno.writeTextFileSync(passwords, line + "\n");
  const key = join(root, "sub", "session.key");
  Deno.writeTextFileSync(key, SESSION_KEY + "\n");
  Deno.linkSync(passwords, join(root, "sub", "hard-link")); // the same file under another name
  Deno.symlinkSync("../passwords", join(root, "sub", "sym-link")); // a symlink inside the root
  return { root, passwords, key };
}

Deno.test({
  name: "the server's own files inside the root are refused (403) by name, hard link and " +
    "symlink, for GET, PUT and DELETE, left out of listings, and warned about at start",
  ignore: !BLACK_BOX,
  async fn() {
    const { root, passwords, key } = await rootWithSecrets();
    const s = await startServer({
      conf: {
        DocumentRoot: root,
        DirectoryListing: "On",
        WriteAccess: "On",
        WritePaths: "/",
        PasswordFile: passwords,
        SessionKeyFile: key,
      },
    });
    try {
      const before = Deno.readTextFileSync(passwords);
      for (const path of ["/passwords", "/sub/hard-link", "/sub/sym-link", "/sub/session.key"]) {
        const r = await send(s.port, path);
        assert.equal(r.status, 403, `GET ${path}`);
        assert.ok(!utf8(r.body).includes("pbkdf2") && !utf8(r.body).includes(SESSION_KEY), path);
      }
      for (const path of ["/passwords", "/sub/hard-link", "/sub/session.key"]) {
        const put = await send(s.port, path, { method: "PUT", headers: WRITER, body: "x\n" });
        assert.equal(put.status, 403, `PUT ${path}`);
        const del = await send(s.port, path, { method: "DELETE", headers: WRITER });
        assert.equal(del.status, 403, `DELETE ${path}`);
      }
      assert.equal(Deno.readTextFileSync(passwords), before, "the password file is untouched");
      assert.equal(Deno.readTextFileSync(key), SESSION_KEY + "\n", "the key file is untouched");
      for (const path of ["/", "/sub/"]) {
        const listing = utf8((await send(s.port, path)).body);
        for (const name of ["passwords", "session.key", "hard-link", "sym-link"]) {
          assert.ok(!listing.includes(name), `${path} lists ${name}`);
        }
      }
      assert.ok(utf8((await send(s.port, "/sub/")).body).includes("visible.txt"), "listed");
      // A file next to them is written as usual.
      const ok = await send(s.port, "/sub/note.txt", { method: "PUT", headers: WRITER, body: "n" });
      assert.equal(ok.status, 201);
      const code = await s.stop();
      assert.equal(code, 0);
      const log = s.readLog("error.log");
      for (const k of ["PasswordFile", "SessionKeyFile"]) {
        const warn = new RegExp(`\\[core:warn\\].*${k} ".*" lies under DocumentRoot`);
        assert.match(log, warn, `error.log warns about ${k}`);
        assert.match(s.stderr(), new RegExp(`\\[warn\\] ${k} ".*" lies under DocumentRoot`));
      }
    } finally {
      await s.stop();
      Deno.removeSync(s.dir, { recursive: true });
      Deno.removeSync(join(root, ".."), { recursive: true });
    }
  },
});

Deno.test({
  name: "--check-config warns when one of the server's own files lies under DocumentRoot",
  ignore: !BLACK_BOX,
  async fn() {
    const { root, passwords } = await rootWithSecrets();
    const dir = tempDir();
    try {
      const conf = join(dir, "http.conf");
      Deno.writeTextFileSync(
        conf,
        configText({
          DocumentRoot: root,
          PasswordFile: passwords,
          AccessLog: join(root, "access.log"), // not created yet: still recognised
          ErrorLog: join(dir, "error.log"),
        }),
      );
      const r = await new Deno.Command(Deno.execPath(), {
        args: [...RUN_FLAGS, join(REPO, "main.ts"), "--config", conf, "--check-config"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, err);
      assert.match(err, /\[warn\] PasswordFile ".*passwords" lies under DocumentRoot/);
      assert.match(err, /\[warn\] AccessLog ".*access\.log" lies under DocumentRoot/);
      assert.ok(!err.includes("ErrorLog"), "a log outside the root is not mentioned");
    } finally {
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(join(root, ".."), { recursive: true });
    }
  },
});

Deno.test({
  name: "upload folders are never listed (403), even with DirectoryListing On",
  ignore: !BLACK_BOX,
  async fn() {
    const s = await startServer({
      conf: { DirectoryListing: "On", UploadPaths: "/uploads" },
    });
    try {
      Deno.mkdirSync(join(s.root, "uploads", "deeper"), { recursive: true });
      Deno.mkdirSync(join(s.root, "open"));
      Deno.writeTextFileSync(join(s.root, "open", "visible.txt"), "v");
      const up = await send(s.port, "/uploads/", {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: "uploaded\n",
      });
      assert.equal(up.status, 201);
      const name = up.fields.find(([n]) => n === "location")![1].split("/").pop()!;
      for (const path of ["/uploads/", "/uploads/deeper/"]) {
        const r = await send(s.port, path);
        assert.equal(r.status, 403, path);
        assert.ok(!utf8(r.body).includes(name), `${path} shows the upload's name`);
      }
      assert.equal(utf8((await send(s.port, `/uploads/${name}`)).body), "uploaded\n");
      const open = await send(s.port, "/open/");
      assert.equal(open.status, 200);
      assert.ok(utf8(open.body).includes("visible.txt"), "other folders are listed");
    } finally {
      await s.stop();
      Deno.removeSync(s.dir, { recursive: true });
    }
  },
});
