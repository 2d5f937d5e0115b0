import assert from "node:assert/strict";
import { join } from "node:path";
import { DenoFileSystem } from "./deno_fs.ts";
import { FsError } from "./fs_port.ts";

const enc = new TextEncoder();

function tempRoot(): { root: string; fs: DenoFileSystem; cleanup: () => void } {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "deno_fs_test_" }));
  return {
    root,
    fs: new DenoFileSystem(root, { chunkSize: 4 }),
    cleanup: () => Deno.removeSync(root, { recursive: true }),
  };
}

async function* pieces(parts: string[], failAt = -1): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < parts.length; i++) {
    if (i === failAt) throw new Error("client went away");
    yield enc.encode(parts[i]!);
  }
}

Deno.test("DenoFileSystem.writeAtomic() replaces a file only when the body is complete", async () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    const path = join(root, "a.txt");
    Deno.writeTextFileSync(path, "old");
    await fs.writeAtomic(path, pieces(["new ", "text"]));
    assert.equal(Deno.readTextFileSync(path), "new text");
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["a.txt"]);
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem.writeAtomic() rethrows a body error as is, keeping the old file and no temp file", async () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    const path = join(root, "a.txt");
    Deno.writeTextFileSync(path, "old");
    await assert.rejects(fs.writeAtomic(path, pieces(["half", "rest"], 1)), (e) => {
      assert(!(e instanceof FsError), "the body's error is not wrapped");
      assert.equal((e as Error).message, "client went away");
      return true;
    });
    assert.equal(Deno.readTextFileSync(path), "old");
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["a.txt"]);
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem.writeAtomic() throws FsError not-found for a missing folder", async () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    await assert.rejects(
      fs.writeAtomic(join(root, "no", "a.txt"), pieces(["x"])),
      (e) => e instanceof FsError && e.kind === "not-found",
    );
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem.openStream() reads lazily in chunks and errors with FsError", async () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    const missing = fs.openStream(join(root, "later.txt")); // opened on first read, not now
    Deno.writeTextFileSync(join(root, "later.txt"), "0123456789");
    const parts: number[] = [];
    for await (const c of missing) parts.push(c.length);
    assert.deepEqual(parts, [4, 4, 2]);
    await assert.rejects(
      new Response(fs.openStream(join(root, "gone.txt"))).arrayBuffer(),
      (e) => e instanceof FsError && e.kind === "not-found",
    );
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem.stat() refuses a symlink that leaves the root", async () => {
  const { root, fs, cleanup } = tempRoot();
  const outside = Deno.makeTempFileSync();
  try {
    Deno.symlinkSync(outside, join(root, "link"));
    await assert.rejects(
      fs.stat(join(root, "link")),
      (e) => e instanceof FsError && e.kind === "denied",
    );
  } finally {
    cleanup();
    Deno.removeSync(outside);
  }
});

Deno.test("DenoFileSystem follows symlinks that stay inside the root, relative or absolute", async () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    Deno.mkdirSync(join(root, "d"));
    Deno.writeTextFileSync(join(root, "d", "real.txt"), "real");
    Deno.symlinkSync("d/real.txt", join(root, "rel"));
    Deno.symlinkSync(join(root, "d", "real.txt"), join(root, "abs"));
    Deno.symlinkSync("../d/real.txt", join(root, "d", "up-and-back"));
    for (const link of ["rel", "abs", "d/up-and-back"]) {
      assert.equal((await fs.stat(join(root, link))).size, 4, link);
      assert.equal(new TextDecoder().decode(await fs.readFile(join(root, link))), "real", link);
    }
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem refuses a folder symlinked out of the root for every call", async () => {
  const { root, fs, cleanup } = tempRoot();
  const outside = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(outside, "secret.txt"), "secret");
    Deno.symlinkSync(outside, join(root, "out"));
    const denied = (e: unknown) => e instanceof FsError && e.kind === "denied";
    const path = join(root, "out", "secret.txt");
    await assert.rejects(fs.stat(path), denied);
    await assert.rejects(fs.readFile(path), denied);
    assert.throws(() => fs.open(path), denied);
    await assert.rejects(new Response(fs.openStream(path)).arrayBuffer(), denied);
    await assert.rejects(fs.readDir(join(root, "out")), denied);
    await assert.rejects(fs.writeAtomic(join(root, "out", "new.txt"), pieces(["x"])), denied);
    await assert.rejects(fs.remove(path), denied);
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret.txt"]);
  } finally {
    cleanup();
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("DenoFileSystem.open() refuses a version other than the one planned (same size, other inode)", () => {
  const { root, fs, cleanup } = tempRoot();
  try {
    const path = join(root, "a.txt");
    Deno.writeTextFileSync(path, "one");
    const st = Deno.statSync(path);
    const planned = { size: st.size, mtimeMs: st.mtime!.getTime(), ino: st.ino };
    fs.open(path, planned).close();
    Deno.writeTextFileSync(join(root, "b.txt"), "two");
    Deno.utimeSync(join(root, "b.txt"), st.mtime!, st.mtime!);
    Deno.renameSync(join(root, "b.txt"), path);
    assert.throws(
      () => fs.open(path, planned),
      (e) => e instanceof FsError && e.kind === "changed",
    );
  } finally {
    cleanup();
  }
});

Deno.test("DenoFileSystem refuses the server's own files by path, hard link and symlink", async () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "deno_fs_test_" }));
  try {
    const secret = join(root, "passwords");
    Deno.writeTextFileSync(secret, "writer:pbkdf2...");
    Deno.linkSync(secret, join(root, "hard"));
    Deno.symlinkSync("passwords", join(root, "soft"));
    Deno.writeTextFileSync(join(root, "page.txt"), "page");
    const fs = new DenoFileSystem(root, { ownFiles: [secret] });
    const denied = (e: unknown) => e instanceof FsError && e.kind === "denied";
    for (const name of ["passwords", "hard", "soft"]) {
      await assert.rejects(fs.stat(join(root, name)), denied, name);
      await assert.rejects(fs.readFile(join(root, name)), denied, name);
    }
    await assert.rejects(fs.writeAtomic(secret, pieces(["x"])), denied);
    await assert.rejects(fs.writeAtomic(join(root, "hard"), pieces(["x"])), denied);
    await assert.rejects(fs.remove(join(root, "hard")), denied);
    assert.deepEqual((await fs.readDir(root)).map((e) => e.name), ["page.txt"]);
    assert.equal(Deno.readTextFileSync(secret), "writer:pbkdf2...");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("DenoFileSystem commits of one folder are serialised across instances (the folder lock)", async () => {
  const { root, cleanup } = tempRoot();
  try {
    // Two instances, as two workers have: the lock is the folder's flock, not a JS mutex.
    const a = new DenoFileSystem(root);
    const b = new DenoFileSystem(root);
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let aChecking!: () => void;
    const aReached = new Promise<void>((r) => (aChecking = r));
    const first = a.writeAtomic(join(root, "x.txt"), pieces(["a"]), async () => {
      events.push("a checks");
      aChecking();
      await gate;
      events.push("a commits");
    });
    await aReached;
    const second = b.remove(join(root, "x.txt"), () => {
      events.push("b checks");
      return Promise.resolve();
    });
    // Time for b to overtake a, were there no lock (this asserts an order, not a duration).
    await new Promise((r) => setTimeout(r, 200));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(events, ["a checks", "a commits", "b checks"]);
    assert.deepEqual([...Deno.readDirSync(root)], [], "b removed what a wrote");
  } finally {
    cleanup();
  }
});
