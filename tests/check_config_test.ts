/**
 * `--check-config` checks what start-up would trip over, as `nginx -t` does, without binding the
 * port and without creating or touching the logs: a config it passes does not fail at start for
 * an unwritable log, an unreadable error page or folder. Real processes; files made
 * unwritable with `chattr +i` (the tests run as root, which file modes do not stop).
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { configText, REPO, RUN_FLAGS, tempDir } from "./helpers/server.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, join(REPO, "main.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

/** A config in a fresh folder with these keys; its path and the line of each key. */
function conf(
  keys: Record<string, string>,
): { path: string; dir: string; line(k: string): number } {
  const dir = tempDir();
  const path = join(dir, "http.conf");
  const text = configText({
    Listen: "127.0.0.1:0",
    DocumentRoot: join(REPO, "www", "html"),
    AccessLog: join(dir, "access.log"),
    ErrorLog: join(dir, "error.log"),
    Memcached: "",
    Workers: "1",
    SessionKey: "check-config-test-key-0123456789",
    ...keys,
  });
  Deno.writeTextFileSync(path, text);
  const lines = text.split("\n");
  return { path, dir, line: (k) => lines.findIndex((l) => l.startsWith(`${k} =`)) + 1 };
}

async function chattr(flag: "+i" | "-i", path: string): Promise<void> {
  const r = await new Deno.Command("chattr", { args: [flag, path], stderr: "piped" }).output();
  assert.ok(
    r.success,
    `chattr ${flag} ${path} (needs e2fsprogs and ext4/xfs): ` +
      new TextDecoder().decode(r.stderr),
  );
}

/** Start the server (then stop it): the exit code and stderr of a start that fails. */
async function start(path: string): Promise<{ code: number; err: string }> {
  const p = new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, join(REPO, "main.ts"), "--config", path],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => p.kill("SIGTERM"), 15_000); // a start that works is stopped
  const r = await p.output();
  clearTimeout(timer);
  return { code: r.code, err: new TextDecoder().decode(r.stderr) };
}

Deno.test("--check-config passes a good config without creating or touching the logs", async () => {
  const c = conf({});
  const existing = join(c.dir, "error.log");
  Deno.writeTextFileSync(existing, "old line\n");
  const before = Deno.statSync(existing);
  const r = await run(["--config", c.path, "--check-config"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /syntax is ok\n.*test is successful\n$/s);
  assert.equal(r.err, "");
  assert.throws(() => Deno.statSync(join(c.dir, "access.log")), Deno.errors.NotFound);
  assert.equal(Deno.readTextFileSync(existing), "old line\n");
  assert.equal(Deno.statSync(existing).mtime?.getTime(), before.mtime?.getTime());
  const left = [...Deno.readDirSync(c.dir)].map((e) => e.name).sort();
  assert.deepEqual(left, ["error.log", "http.conf"], "no probe file is left behind");
});

Deno.test("--check-config fails, naming key and line, for a log start-up cannot open", async () => {
  // The sysadmin's case: the check said "ok", ExecStartPre passed, ExecStart failed.
  const missing = conf({ AccessLog: "/nonexistent-folder/access.log" });
  const r = await run(["--config", missing.path, "--check-config"]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    new RegExp(
      `http\\.conf:${missing.line("AccessLog")}: AccessLog: cannot append to ` +
        `"/nonexistent-folder/access.log": the folder "/nonexistent-folder" does not exist`,
    ),
  );
  assert.match(r.err, /test failed\n$/);
  assert.equal((await start(missing.path)).code, 1, "start fails on it too");

  const frozen = conf({});
  const log = join(frozen.dir, "error.log");
  Deno.writeTextFileSync(log, "");
  await chattr("+i", log);
  try {
    const f = await run(["--config", frozen.path, "--check-config"]);
    assert.equal(f.code, 1, f.out);
    assert.match(
      f.err,
      new RegExp(`http\\.conf:${frozen.line("ErrorLog")}: ErrorLog: cannot append`),
    );
    const s = await start(frozen.path);
    assert.equal(s.code, 1, "start fails on it too");
    assert.match(s.err, /ErrorLog/);
  } finally {
    await chattr("-i", log);
  }
  const folder = conf({ AccessLog: "" });
  const logs = join(folder.dir, "logs");
  Deno.mkdirSync(logs);
  Deno.writeTextFileSync(
    folder.path,
    Deno.readTextFileSync(folder.path).replace(
      /^AccessLog = .*$/m,
      `AccessLog = ${join(logs, "access.log")}`,
    ),
  );
  await chattr("+i", logs); // no file can be created in it
  try {
    const f = await run(["--config", folder.path, "--check-config"]);
    assert.equal(f.code, 1, f.out);
    assert.match(f.err, /AccessLog: cannot append to .*access\.log": /);
    assert.equal([...Deno.readDirSync(logs)].length, 0);
  } finally {
    await chattr("-i", logs);
  }
});

Deno.test("--check-config fails for unreadable error pages and a missing [ErrorDocument] file", async () => {
  const pages = tempDir();
  for (const e of Deno.readDirSync(join(REPO, "error"))) {
    if (e.isFile) Deno.copyFileSync(join(REPO, "error", e.name), join(pages, e.name));
  }
  Deno.mkdirSync(join(pages, "599.html")); // a page start-up cannot read
  const bad = conf({ ErrorPages: pages });
  const r = await run(["--config", bad.path, "--check-config"]);
  assert.equal(r.code, 1, r.out);
  assert.match(
    r.err,
    new RegExp(`http\\.conf:${bad.line("ErrorPages")}: ErrorPages: cannot read ".*599\\.html"`),
  );
  assert.equal((await start(bad.path)).code, 1, "start fails on it too");

  const doc = conf({});
  Deno.writeTextFileSync(
    doc.path,
    Deno.readTextFileSync(doc.path) + "\n[ErrorDocument]\n404 = nope.html\n",
  );
  const d = await run(["--config", doc.path, "--check-config"]);
  assert.equal(d.code, 1, d.out);
  assert.match(
    d.err,
    /ErrorDocument: Cannot load error page for status 404: file ".*nope\.html" not found/,
  );
});

Deno.test("--check-config fails for a DocumentRoot that is not a readable folder, warns on unwritable uploads", async () => {
  const file = conf({ DocumentRoot: join(REPO, "www", "html", "hello.txt") });
  const r = await run(["--config", file.path, "--check-config"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /DocumentRoot: .*hello\.txt" is not a folder/);

  const root = tempDir();
  Deno.mkdirSync(join(root, "up"));
  const uploads = conf({ DocumentRoot: root, UploadPaths: "/up/" });
  await chattr("+i", join(root, "up"));
  try {
    const w = await run(["--config", uploads.path, "--check-config"]);
    assert.equal(w.code, 0, "a warning does not fail the check");
    assert.match(
      w.err,
      new RegExp(
        `warning: http\\.conf:${
          uploads.line("UploadPaths")
        }: UploadPaths: uploads will fail: cannot write in ".*/up/"`,
      ),
    );
    assert.match(w.out, /test is successful/);
  } finally {
    await chattr("-i", join(root, "up"));
  }
});
