import { assertEquals } from "../http/test_assert.ts";
import assert from "node:assert/strict";
import { CachedFileSystem, type FileCacheOptions } from "./file_cache.ts";
import {
  type DirEntryInfo,
  type FileInfo,
  type FileSystem,
  FsError,
  type OpenFile,
} from "./fs_port.ts";

/** A counting in-memory file system. */
class Files implements FileSystem {
  files = new Map<string, { bytes: Uint8Array; mtimeMs: number }>();
  calls: string[] = [];
  set(path: string, text: string, mtimeMs: number): void {
    this.files.set(path, { bytes: new TextEncoder().encode(text), mtimeMs });
  }
  stat(path: string): Promise<FileInfo> {
    this.calls.push(`stat ${path}`);
    const f = this.files.get(path);
    if (f === undefined) return Promise.reject(new FsError("not-found", path));
    return Promise.resolve({
      isFile: true,
      isDirectory: false,
      size: f.bytes.length,
      mtimeMs: f.mtimeMs,
      dev: 1,
      ino: 1,
      mode: 0o644,
    });
  }
  readFile(path: string): Promise<Uint8Array> {
    this.calls.push(`read ${path}`);
    const f = this.files.get(path);
    return f ? Promise.resolve(f.bytes) : Promise.reject(new FsError("not-found", path));
  }
  open(): OpenFile {
    throw new Error("unused");
  }
  openStream(): ReadableStream<Uint8Array> {
    throw new Error("unused");
  }
  readDir(): Promise<DirEntryInfo[]> {
    return Promise.resolve([]);
  }
  async writeAtomic(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    let text = "";
    for await (const c of body) text += new TextDecoder().decode(c);
    this.set(path, text, 99);
  }
  remove(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }
}

function setup(o: Partial<FileCacheOptions> = {}) {
  let now = 1000;
  const files = new Files();
  const cache = new CachedFileSystem(files, {
    maxBytes: 100,
    maxFileSize: 40,
    revalidateMs: 1000,
    maxEntries: 10,
    now: () => now,
    ...o,
  });
  return { files, cache, tick: (ms: number) => (now += ms) };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("CachedFileSystem serves a hot file with no file-system call within the interval", async () => {
  const { files, cache, tick } = setup();
  files.set("/a", "hello", 1);
  assertEquals(text(await cache.readFile("/a")), "hello");
  files.calls = [];
  for (let i = 0; i < 5; i++) {
    tick(100);
    assertEquals((await cache.stat("/a")).size, 5);
    assertEquals(text(await cache.readFile("/a")), "hello");
  }
  assertEquals(files.calls, []);
});

Deno.test("CachedFileSystem shows an edited file once the revalidation interval has passed", async () => {
  const { files, cache, tick } = setup();
  files.set("/a", "old", 1);
  assertEquals(text(await cache.readFile("/a")), "old");
  files.set("/a", "new!", 2);
  tick(500);
  assertEquals(text(await cache.readFile("/a")), "old"); // still within the interval
  tick(500);
  assertEquals(text(await cache.readFile("/a")), "new!");
  files.calls = [];
  tick(1000);
  assertEquals(text(await cache.readFile("/a")), "new!"); // unchanged: one stat, no read
  assertEquals(files.calls, ["stat /a"]);
});

Deno.test("CachedFileSystem caches not-found for the interval, then sees a new file", async () => {
  const { files, cache, tick } = setup();
  await assert.rejects(() => cache.stat("/nope"), FsError);
  await assert.rejects(() => cache.stat("/nope"), FsError);
  assertEquals(files.calls, ["stat /nope"]);
  files.set("/nope", "here", 1);
  tick(1000);
  assertEquals((await cache.stat("/nope")).size, 4);
});

Deno.test("CachedFileSystem keeps content within FileCacheSize, evicting least recently used", async () => {
  const { files, cache } = setup();
  for (const p of ["/1", "/2", "/3"]) files.set(p, "x".repeat(40), 1);
  await cache.readFile("/1");
  await cache.readFile("/2");
  assertEquals(cache.cachedBytes, 80);
  await cache.stat("/1"); // /1 becomes most recently used
  await cache.readFile("/3"); // 120 > 100: evict /2
  assertEquals(cache.cachedBytes, 80);
  files.calls = [];
  await cache.readFile("/1");
  assertEquals(files.calls, []);
  await cache.readFile("/2");
  assertEquals(files.calls, ["stat /2", "read /2"]);
});

Deno.test("CachedFileSystem does not keep files over FileCacheMaxFileSize and bounds entries", async () => {
  const { files, cache } = setup({ maxEntries: 3 });
  files.set("/big", "x".repeat(41), 1);
  await cache.readFile("/big");
  assertEquals(cache.cachedBytes, 0);
  for (let i = 0; i < 10; i++) {
    files.set(`/f${i}`, "y", 1);
    await cache.readFile(`/f${i}`);
  }
  assertEquals(cache.size, 3);
  assertEquals(cache.cachedBytes, 3);
});

Deno.test("CachedFileSystem invalidates at once on writes and removes through it, and reports them", async () => {
  const { files, cache } = setup();
  const told: string[] = [];
  cache.onInvalidate = (p) => told.push(p);
  files.set("/a", "v1", 1);
  await cache.readFile("/a");
  await cache.writeAtomic(
    "/a",
    (async function* () {
      yield new TextEncoder().encode("v2");
    })(),
  );
  assertEquals(text(await cache.readFile("/a")), "v2");
  await cache.remove("/a");
  await assert.rejects(() => cache.readFile("/a"), FsError);
  assertEquals(told, ["/a", "/a"]);
});
