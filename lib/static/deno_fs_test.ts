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
