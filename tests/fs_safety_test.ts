/**
 * The file system cannot be turned against the server (issue 19, items 1 and 2): files swapped
 * between two requests for a FIFO or for a symlink leading out of the root, and a folder
 * swapped for such a symlink while PUTs write into it. Real server, real sockets, real files.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { send } from "./helpers/raw_http.ts";
import { eventually, startServer, tempDir, type TestServer } from "./helpers/server.ts";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(r.success, `mkfifo ${path}: ${dec.decode(r.stderr)}`);
}

/**
 * Stop the server; one stuck in a blocking open (the bug these tests guard against) does not
 * stop on SIGTERM, so it is killed after a bound.
 */
async function stopBounded(s: TestServer): Promise<void> {
  const timer = setTimeout(() => {
    try {
      s.proc.kill("SIGKILL");
    } catch { /* gone */ }
  }, 15_000);
  try {
    await s.stop();
  } finally {
    clearTimeout(timer);
  }
}

/** error.log lines mentioning `name`, once the server has written them. */
async function errorLines(s: TestServer, name: string, atLeast: number): Promise<string[]> {
  const lines = () => s.readLog("error.log").split("\n").filter((l) => l.includes(name));
  await eventually(() => lines().length >= atLeast, 5000, `error.log lines about ${name}`);
  await new Promise((r) => setTimeout(r, 300)); // and no more come
  return lines();
}

/** A 300 KiB file: above FileCacheMaxFileSize, so it is streamed from disk, never cached. */
const BIG = 300 * 1024;

Deno.test({
  name: "a FIFO never blocks a worker: swapped for a file the cache knows, or put in the root, " +
    "it gets 403 and one error.log line while other clients are served",
  ignore: !BLACK_BOX,
  async fn() {
    // One worker: a blocking open would stop every client. A long revalidation interval keeps
    // the cache believing the swapped names are regular files.
    const s = await startServer({ workers: 1, conf: { FileCacheRevalidate: "60s" } });
    try {
      Deno.writeTextFileSync(join(s.root, "small.txt"), "small file\n");
      Deno.writeFileSync(join(s.root, "big.bin"), new Uint8Array(BIG).fill(0x61));
      assert.equal((await send(s.port, "/small.txt", { method: "HEAD" })).status, 200);
      assert.equal((await send(s.port, "/big.bin")).status, 200);
      for (const name of ["small.txt", "big.bin"]) {
        Deno.removeSync(join(s.root, name));
        await mkfifo(join(s.root, name));
      }
      await mkfifo(join(s.root, "pipe"));
      for (const name of ["small.txt", "big.bin", "pipe"]) {
        const [fifo, other] = await Promise.all([
          send(s.port, `/${name}`),
          send(s.port, "/index.html"),
        ]);
        assert.equal(fifo.status, 403, `GET /${name}`);
        assert.equal(other.status, 200, `another client while /${name} was asked for`);
      }
      for (const name of ["small.txt", "big.bin", "pipe"]) {
        assert.equal((await errorLines(s, `/${name}`, 1)).length, 1, `one line for /${name}`);
      }
      assert.equal((await send(s.port, "/index.html")).status, 200, "still serving");
    } finally {
      await stopBounded(s);
      Deno.removeSync(s.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a file swapped for a same-size symlink out of the root is never served, whatever the " +
    "cache holds, and symlinks staying inside the root still are",
  ignore: !BLACK_BOX,
  async fn() {
    const s = await startServer({ workers: 1, conf: { FileCacheRevalidate: "60s" } });
    const outside = tempDir();
    try {
      const secret = (n: number) => enc.encode("SECRET!\n".repeat(n / 8));
      const inside = (n: number) => new Uint8Array(n).fill(0x69);
      const cases = [{ name: "small.txt", size: 4096 }, { name: "big.bin", size: BIG }];
      for (const { name, size } of cases) {
        Deno.writeFileSync(join(s.root, name), inside(size));
        Deno.writeFileSync(join(outside, name), secret(size));
        // Same size and same mtime: only the inode tells the files apart.
        const { mtime } = Deno.statSync(join(s.root, name));
        Deno.utimeSync(join(outside, name), mtime!, mtime!);
      }
      // The cache learns the small file's stat (HEAD reads no bytes) and the big file's.
      assert.equal((await send(s.port, "/small.txt", { method: "HEAD" })).status, 200);
      assert.equal((await send(s.port, "/big.bin")).status, 200);
      for (const { name } of cases) {
        Deno.removeSync(join(s.root, name));
        Deno.symlinkSync(join(outside, name), join(s.root, name));
      }
      for (const { name } of cases) {
        const r = await send(s.port, `/${name}`);
        assert.ok(!dec.decode(r.body).includes("SECRET"), `/${name} leaked the outside file`);
        assert.ok(r.status === 403 || r.status === 503, `/${name}: ${r.status}`);
      }
      // Inside the root, relative and absolute symlinks are followed as before.
      Deno.writeTextFileSync(join(s.root, "real.txt"), "real\n");
      Deno.symlinkSync("real.txt", join(s.root, "rel-link.txt"));
      Deno.symlinkSync(join(s.root, "real.txt"), join(s.root, "abs-link.txt"));
      for (const link of ["rel-link.txt", "abs-link.txt"]) {
        const r = await send(s.port, `/${link}`);
        assert.equal(r.status, 200, link);
        assert.equal(dec.decode(r.body), "real\n");
      }
    } finally {
      await stopBounded(s);
      Deno.removeSync(s.dir, { recursive: true });
      Deno.removeSync(outside, { recursive: true });
    }
  },
});

Deno.test({
  name: "a cached file swapped for a symlink out of the root is refused once revalidated",
  ignore: !BLACK_BOX,
  async fn() {
    const s = await startServer({ workers: 1, conf: { FileCacheRevalidate: "400ms" } });
    const outside = tempDir();
    try {
      Deno.writeTextFileSync(join(s.root, "page.txt"), "inside\n");
      Deno.writeTextFileSync(join(outside, "page.txt"), "SECRET\n");
      assert.equal(dec.decode((await send(s.port, "/page.txt")).body), "inside\n");
      Deno.removeSync(join(s.root, "page.txt"));
      Deno.symlinkSync(join(outside, "page.txt"), join(s.root, "page.txt"));
      await eventually(
        async () => {
          const r = await send(s.port, "/page.txt");
          assert.ok(!dec.decode(r.body).includes("SECRET"), "leaked the outside file");
          return r.status === 403;
        },
        10_000,
        "403 once the cached stat is revalidated",
      );
    } finally {
      await stopBounded(s);
      Deno.removeSync(s.dir, { recursive: true });
      Deno.removeSync(outside, { recursive: true });
    }
  },
});

/** Every file under `dir`, recursively (symlinks not followed), as paths relative to it. */
function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...walk(join(dir, e.name), rel + "/"));
    else out.push(rel);
  }
  return out;
}

/**
 * Python, since it swaps faster than a shell: `up` is a folder, then a symlink out, and so on.
 * The folder stays in place for half a millisecond each time round, so that some PUTs can
 * succeed (without the pause it is there for a few microseconds per round and CI once saw 399
 * of 400 PUTs answered 409).
 */
const SWAPPER = `
import os, sys, time
root, outside, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
up, real = os.path.join(root, "up"), os.path.join(root, "up.real")
end = time.time() + seconds
n = 0
while time.time() < end:
    os.rename(up, real); os.symlink(outside, up)
    os.unlink(up); os.rename(real, up)
    time.sleep(0.0005)
    n += 1
print(n)
`;

Deno.test({
  name: "PUTs racing with their folder swapped for a symlink out of the root write nothing " +
    "outside it and leave no temporary file",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer({ Workers: "2" });
    const outside = tempDir();
    let swapper: Deno.ChildProcess | null = null;
    try {
      Deno.mkdirSync(join(s.root, "up"));
      swapper = new Deno.Command("python3", {
        args: ["-c", SWAPPER, s.root, outside, "4"],
        stdout: "piped",
      }).spawn();
      const statuses = new Map<number, number>();
      let sent = 0;
      const client = async () => {
        while (sent < 400) {
          const i = sent++;
          const r = await send(s.port, `/up/f${i}.txt`, {
            method: "PUT",
            headers: WRITER,
            body: `body ${i}\n`,
          });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
      const swaps = Number(dec.decode((await swapper.output()).stdout));
      swapper = null;
      assert.ok(swaps > 100, `the folder was swapped ${swaps} times`);
      assert.deepEqual(walk(outside), [], "nothing lands outside the root");
      const temps = walk(s.root).filter((p) => /(^|\/)\.[0-9a-f-]{36}\.upload$/.test(p));
      assert.deepEqual(temps, [], "no temporary file is left");
      const stored = (statuses.get(201) ?? 0) + (statuses.get(204) ?? 0);
      assert.ok(stored > 0, `some PUTs succeeded: ${JSON.stringify([...statuses])}`);
      for (const status of statuses.keys()) {
        assert.ok([201, 204, 403, 409, 503].includes(status), `status ${status}`);
      }
    } finally {
      if (swapper !== null) {
        try {
          swapper.kill("SIGKILL");
        } catch { /* gone */ }
        await swapper.output();
      }
      await cleanup();
      Deno.removeSync(outside, { recursive: true });
    }
  },
});
