import assert from "node:assert/strict";
import { FsError } from "./fs_port.ts";
import { MemoryFileSystem } from "./memory_fs.ts";

const enc = new TextEncoder();

async function* body(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield enc.encode(p);
}

Deno.test("MemoryFileSystem stats files and folders, a file as a parent is not-found", async () => {
  const fs = new MemoryFileSystem().file("/r/a.txt", "abc", { mode: 0o600 });
  const a = await fs.stat("/r/a.txt");
  assert.equal(a.isFile, true);
  assert.equal(a.size, 3);
  assert.equal(a.mode, 0o600);
  assert.equal((await fs.stat("/r")).isDirectory, true);
  await assert.rejects(
    fs.stat("/r/a.txt/x"),
    (e) => e instanceof FsError && e.kind === "not-found",
  );
  assert.deepEqual(fs.calls, ["stat /r/a.txt", "stat /r", "stat /r/a.txt/x"]);
});

Deno.test("MemoryFileSystem.readDir() lists direct children without hidden names", async () => {
  const fs = new MemoryFileSystem().file("/r/a", "1").file("/r/.h", "2").file("/r/d/b", "3");
  const names = (await fs.readDir("/r")).map((e) => `${e.name}${e.isDir ? "/" : ""}`).sort();
  assert.deepEqual(names, ["a", "d/"]);
});

Deno.test("MemoryFileSystem.writeAtomic() gives a new version and leaves no temp entry", async () => {
  const fs = new MemoryFileSystem().file("/r/a", "old");
  const before = await fs.stat("/r/a");
  await fs.writeAtomic("/r/a", body(["n", "ew"]));
  assert.equal(fs.text("/r/a"), "new");
  const after = await fs.stat("/r/a");
  assert.notEqual(after.mtimeMs, before.mtimeMs);
  assert.notEqual(after.ino, before.ino);
  assert.deepEqual(fs.paths(), ["/", "/r", "/r/a"]);
});

Deno.test("MemoryFileSystem fault injection: failing midway keeps the old file, once-faults clear", async () => {
  const fs = new MemoryFileSystem().file("/r/a", "old");
  fs.fail({
    op: "writeAtomic",
    path: "/r/a",
    error: new FsError("other", "ENOSPC"),
    afterBytes: 2,
  });
  await assert.rejects(fs.writeAtomic("/r/a", body(["abc"])), /ENOSPC/);
  assert.equal(fs.text("/r/a"), "old");
  assert.deepEqual(fs.paths(), ["/", "/r", "/r/a"]);
  fs.fail({ op: "stat", error: new FsError("other", "EIO"), once: true });
  await assert.rejects(fs.stat("/r/a"), /EIO/);
  assert.equal((await fs.stat("/r/a")).isFile, true);
});

Deno.test("MemoryFileSystem.remove() refuses a non-empty folder", async () => {
  const fs = new MemoryFileSystem().file("/r/a", "1");
  await assert.rejects(fs.remove("/r"), (e) => e instanceof FsError && e.kind === "not-empty");
  await fs.remove("/r/a");
  await fs.remove("/r");
  assert.deepEqual(fs.paths(), ["/"]);
});
