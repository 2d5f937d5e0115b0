/**
 * Faults a server meets, made real: a disk that fills up under an upload (a 1 MiB tmpfs), a
 * disk that fails to read in the middle of a response (an ext4 loop device whose backing file
 * is cut short: the kernel answers the lost blocks with EIO, as for bad sectors), log files
 * deleted or on a full disk while the server runs, and `kill -9` of the server (access lines
 * lost: none with AccessLogFlush 0, only the last AccessLogFlush's by default). Root is needed
 * for mount and losetup; without it these tests fail.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { HttpConn } from "./helpers/http_conn.ts";
import { loopDisk, mountTmpfs, requireRoot, run } from "./helpers/mounts.ts";
import { eventually, rawExchange, startServer, statusOf, tempDir } from "./helpers/server.ts";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";
import { firstDifference, offsetBytes } from "./soak/fixtures.ts";

const MiB = 1024 * 1024;

async function get(port: number, target: string): Promise<number> {
  return statusOf(
    await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
  );
}

/** Send a request with a body while reading the answer (the server may answer before the end). */
async function sendBody(port: number, head: string, body: Uint8Array) {
  const conn = await HttpConn.open(port);
  try {
    await conn.write(head);
    const writing = conn.write(body).catch(() => {}); // it may stop reading and close
    const r = await conn.readFinal();
    await writing;
    return r;
  } finally {
    conn.close();
  }
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

Deno.test({
  name: "a PUT or an upload that fills the disk gets 507, and leaves the old file and no temp file",
  ignore: !BLACK_BOX,
  async fn() {
    requireRoot("the disk-full test");
    const { s, cleanup } = await writableServer({ UploadPaths: "/full/" });
    const disk = join(s.root, "full");
    Deno.mkdirSync(disk);
    const unmount = await mountTmpfs(disk, "1m");
    try {
      const old = offsetBytes("O", 100 * 1024);
      Deno.writeFileSync(join(disk, "keep.bin"), old);
      const big = offsetBytes("N", 2 * MiB);
      const auth = WRITER.Authorization;
      const put = await sendBody(
        s.port,
        `PUT /full/keep.bin HTTP/1.1\r\nHost: a\r\nAuthorization: ${auth}\r\n` +
          `Content-Length: ${big.length}\r\n\r\n`,
        big,
      );
      assert.equal(put.status, 507);
      assert.equal(put.fields.get("content-type"), "text/html; charset=utf-8");
      assert.match(new TextDecoder().decode(put.body), /Insufficient Storage/);
      const post = await sendBody(
        s.port,
        `POST /full/ HTTP/1.1\r\nHost: a\r\nAuthorization: ${auth}\r\n` +
          `Content-Length: ${big.length}\r\n\r\n`,
        big,
      );
      assert.equal(post.status, 507);
      // Nothing behind: the old file whole, no temporary file, no new upload.
      assert.deepEqual([...Deno.readDirSync(disk)].map((e) => e.name), ["keep.bin"]);
      assert.equal(firstDifference(Deno.readFileSync(join(disk, "keep.bin")), old), -1);
      await eventually(
        () =>
          lines(s.readLog("error.log")).filter((l) => /No space left on device/.test(l)).length ===
            2,
        5000,
        "two error.log lines about the full disk",
      );
      assert.ok(
        lines(s.readLog("error.log")).every((l) => !/No space/.test(l) || /\[core:error\]/.test(l)),
      );
      // Room again: the same PUT of a smaller body works.
      const small = offsetBytes("n", 200 * 1024);
      const ok = await sendBody(
        s.port,
        `PUT /full/keep.bin HTTP/1.1\r\nHost: a\r\nAuthorization: ${auth}\r\n` +
          `Content-Length: ${small.length}\r\n\r\n`,
        small,
      );
      assert.equal(ok.status, 204);
      assert.equal(firstDifference(Deno.readFileSync(join(disk, "keep.bin")), small), -1);
    } finally {
      await unmount();
      await cleanup();
    }
  },
});

Deno.test({
  name:
    "a read error in the middle of a response closes that connection cleanly with one error.log line",
  ignore: !BLACK_BOX,
  async fn() {
    requireRoot("the read-error test");
    const s = await startServer();
    const dir = tempDir();
    const mnt = join(s.root, "disk");
    Deno.mkdirSync(mnt);
    const disk = await loopDisk(join(dir, "disk.img"), mnt, 96);
    const size = 64 * MiB;
    try {
      const file = await Deno.open(join(mnt, "big.bin"), { write: true, create: true });
      for (let at = 0; at < size; at += 4 * MiB) {
        const chunk = offsetBytes("D", size, at, at + 4 * MiB);
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
      }
      file.close();
      await disk.remountReadOnly(); // nothing of the file is cached now
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      try {
        await conn.write(new TextEncoder().encode("GET /disk/big.bin HTTP/1.1\r\nHost: a\r\n\r\n"));
        const got: Uint8Array[] = [];
        let total = 0;
        const buf = new Uint8Array(256 * 1024);
        const readUntil = async (limit: number) => {
          while (total < limit) {
            const n = await conn.read(buf);
            if (n === null) return false;
            got.push(buf.slice(0, n));
            total += n;
          }
          return true;
        };
        await readUntil(MiB); // the server is now blocked on the socket, a few MiB in
        // The disk loses everything past 40 MiB of its 96: the file's later blocks.
        await disk.truncate(40 * MiB);
        const ended = !(await readUntil(size + 4096));
        assert.ok(ended, "the server closed the connection");
        const all = new Uint8Array(total);
        let at = 0;
        for (const g of got) {
          all.set(g, at);
          at += g.length;
        }
        const headEnd = new TextDecoder().decode(all.subarray(0, 4096)).indexOf("\r\n\r\n") + 4;
        const head = new TextDecoder().decode(all.subarray(0, headEnd));
        assert.match(head, new RegExp(`^HTTP/1.1 200 OK\r\n[^]*Content-Length: ${size}\r\n`));
        const body = all.subarray(headEnd);
        assert.ok(body.length < size, `${body.length} bytes of ${size}: cut short`);
        assert.equal(
          firstDifference(body, offsetBytes("D", size, 0, body.length)),
          -1,
          "what came is right",
        );
      } finally {
        conn.close();
      }
      await eventually(
        () => /big\.bin: read failed/.test(s.readLog("error.log")),
        5000,
        "the error.log line",
      );
      await new Promise((r) => setTimeout(r, 300)); // a second line would be flushed by now
      const errors = lines(s.readLog("error.log")).filter((l) => /big\.bin/.test(l));
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(
        errors[0]!,
        /\[core:error\].*big\.bin: read failed \(.*(Input\/output error|EIO).*\) after \d+ body bytes were sent; connection closed/,
      );
      assert.equal(await get(s.port, "/hello.txt"), 200, "the server goes on");
    } finally {
      await disk.remove();
      await s.stop();
      Deno.removeSync(s.dir, { recursive: true });
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a log file deleted while the server runs: it keeps serving, says so, and writes a new file",
  ignore: !BLACK_BOX,
  async fn() {
    for (const flush of ["100ms", "0"]) {
      const s = await startServer({ conf: { AccessLogFlush: flush } });
      const logs = join(s.dir, "logs");
      try {
        assert.equal(await get(s.port, "/hello.txt?before"), 200);
        await eventually(() => s.readLog("access.log").includes("?before"), 5000, "first line");
        Deno.removeSync(join(logs, "access.log"));
        Deno.removeSync(join(logs, "error.log"));
        assert.equal(await get(s.port, "/hello.txt?deleted"), 200, "still serving");
        await eventually(
          () => {
            try {
              return /access\.log" was deleted while open; writing to a new file by that name/
                .test(s.readLog("error.log"));
            } catch {
              return false;
            }
          },
          5000,
          "error.log (created again) to say the access log was deleted",
        );
        // stderr is a pipe the test reads as it comes: it may arrive after the file line.
        await eventually(
          () =>
            /access\.log" was deleted while open/.test(s.stderr()) &&
            /error\.log" was deleted while open/.test(s.stderr()),
          5000,
          "stderr to say both logs were deleted",
        );
        assert.equal(await get(s.port, "/hello.txt?after"), 200);
        await eventually(() => s.readLog("access.log").includes("?after"), 5000, "a new line");
        assert.ok(!s.readLog("access.log").includes("?before"), "a new file, not the deleted one");
      } finally {
        await s.stop();
        Deno.removeSync(s.dir, { recursive: true });
      }
    }
  },
});

Deno.test({
  name:
    "an access log on a full disk: the server keeps serving, says so once, and again when it can write",
  ignore: !BLACK_BOX,
  async fn() {
    requireRoot("the full-log test");
    for (const flush of ["100ms", "0"]) {
      const dir = tempDir();
      const unmount = await mountTmpfs(dir, "64k");
      const s = await startServer({
        conf: { AccessLogFlush: flush, AccessLog: join(dir, "access.log") },
      });
      try {
        assert.equal(await get(s.port, "/hello.txt?before"), 200);
        // Fill the disk (dd stops at "No space left on device").
        await run("sh", "-c", `dd if=/dev/zero of=${dir}/filler bs=4k 2>/dev/null; true`);
        // Lines longer than what is left of the log's last page (4 KiB) in all.
        const long = "x".repeat(200);
        for (let i = 0; i < 40; i++) {
          assert.equal(await get(s.port, `/hello.txt?full${i}-${long}`), 200);
        }
        await eventually(
          () =>
            /\[core:error\].*cannot write .*access\.log: No space left on device/.test(
              s.readLog("error.log"),
            ),
          5000,
          `error.log to say the access log cannot be written (AccessLogFlush ${flush})`,
        );
        // Said once, not once per line: by the main thread, or (AccessLogFlush 0) by each of
        // the two workers, which then write their lines themselves.
        const said = lines(s.readLog("error.log")).filter((l) => /cannot write/.test(l));
        const tids = said.map((l) => /:tid (\d+)\]/.exec(l)?.[1]);
        if (flush === "0") {
          assert.ok(tids.every((t) => t === "1" || t === "2"), said.join("\n"));
          assert.equal(new Set(tids).size, tids.length, said.join("\n"));
        } else assert.deepEqual(tids, ["0"], said.join("\n"));
        Deno.removeSync(join(dir, "filler"));
        assert.equal(await get(s.port, "/hello.txt?after"), 200);
        await eventually(
          () => /writing .*access\.log again; \d+ .* lost/.test(s.readLog("error.log")),
          5000,
          "error.log to say the access log is written again",
        );
        await eventually(
          () => Deno.readTextFileSync(join(dir, "access.log")).includes("?after"),
          5000,
          "new lines in the access log",
        );
      } finally {
        await s.stop();
        await unmount();
        Deno.removeSync(dir, { recursive: true });
        Deno.removeSync(s.dir, { recursive: true });
      }
    }
  },
});

/**
 * Clients that request unique targets in a loop until the server dies; each records the
 * targets whose responses it received whole, and when.
 */
function clientsUntilKilled(port: number, killAfter: number) {
  const got: Array<{ target: string; atMs: number }> = [];
  let stop = false;
  const client = async (c: number) => {
    for (let conn = 0; !stop; conn++) {
      let h: HttpConn;
      try {
        h = await HttpConn.open(port, 5000);
      } catch {
        return;
      }
      try {
        for (let i = 0; i < 20 && !stop; i++) {
          // Small in-memory answers and streamed files (FileCacheSize 0 below).
          const target = i % 3 === 2
            ? `/media/sample.webm?c${c}-${conn}-${i}`
            : `/hello.txt?c${c}-${conn}-${i}`;
          await h.write(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
          const r = await h.readFinal();
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          got.push({ target, atMs: Date.now() });
          if (got.length === killAfter) stop = true;
        }
      } catch {
        return; // the server is gone
      } finally {
        h.close();
      }
    }
  };
  return { got, run: (n: number) => Promise.all(Array.from({ length: n }, (_, c) => client(c))) };
}

for (const [flush, bound] of [["0", 0], ["100ms", 1000]] as const) {
  Deno.test({
    name: flush === "0"
      ? "kill -9 with AccessLogFlush 0 loses no access line: every response a client got is logged"
      : "kill -9 with the default AccessLogFlush loses only lines of the last moments before it",
    ignore: !BLACK_BOX,
    async fn() {
      const s = await startServer({ conf: { AccessLogFlush: flush, FileCacheSize: "0" } });
      try {
        const clients = clientsUntilKilled(s.port, 600);
        const running = clients.run(6);
        await eventually(() => clients.got.length >= 600, 60_000, "600 responses");
        s.proc.kill("SIGKILL"); // while the six clients have requests in flight
        const killedAt = Date.now();
        await running;
        assert.equal((await s.proc.status).signal, "SIGKILL");
        const logged = new Set(
          lines(s.readLog("access.log")).map((l) => /"GET (\S+) HTTP\/1\.1"/.exec(l)?.[1]),
        );
        const lost = clients.got.filter((g) => !logged.has(g.target));
        // AccessLogFlush 0: none. The default: only responses from the last moments (the
        // flush interval and the main thread's write; a generous second here).
        const early = lost.filter((g) => g.atMs < killedAt - bound);
        const oldest = Math.max(0, ...lost.map((g) => killedAt - g.atMs));
        const note = `AccessLogFlush ${flush}: ${lost.length} of ${clients.got.length} lines ` +
          `lost, the oldest received ${oldest} ms before the kill`;
        Deno.stderr.writeSync(new TextEncoder().encode(`  ${note}\n`));
        assert.deepEqual(early, [], `${lost.length} of ${clients.got.length} lines lost`);
        if (flush === "0") assert.equal(lost.length, 0);
      } finally {
        await s.stop().catch(() => {});
        Deno.removeSync(s.dir, { recursive: true });
      }
    },
  });
}
