/**
 * An interrupted upload never leaves a partial or truncated file: the client sends part of a
 * PUT body and disconnects; the old file must be intact and no temporary file left behind.
 */
import assert from "node:assert/strict";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";
import { join } from "./helpers/paths.ts";
import { send } from "./helpers/raw_http.ts";
import { eventually } from "./helpers/server.ts";

/** Hidden temporary upload files in a folder (deno_fs.ts names them `.<uuid>.upload`). */
function tempFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".upload"));
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function interrupted(
  head: string,
  partialBody: string,
  check: (root: string) => Promise<void>,
): Promise<void> {
  const { s, cleanup } = await writableServer();
  try {
    const target = join(s.root, "hello.txt");
    const before = Deno.readFileSync(target);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await writeAll(conn, head + partialBody);
    // The body is being written to a temporary file next to the target...
    await eventually(() => tempFiles(s.root).length === 1, 10_000, "the temporary file");
    conn.close(); // ...when the client goes away.
    await eventually(() => tempFiles(s.root).length === 0, 10_000, "the temporary file removed");
    assert.deepEqual(Deno.readFileSync(target), before, "the old file is intact");
    await check(s.root);
    const again = await send(s.port, "/hello.txt");
    assert.equal(again.status, 200, "the server still serves");
    assert.deepEqual(again.body, before);
  } finally {
    await cleanup();
  }
}

const auth = `Authorization: ${WRITER.Authorization}\r\n`;

Deno.test({
  name: "interrupted PUT with Content-Length: old file intact, no temporary file left",
  ignore: !BLACK_BOX,
  async fn() {
    await interrupted(
      `PUT /hello.txt HTTP/1.1\r\nHost: t\r\n${auth}Content-Length: 200000\r\n\r\n`,
      "x".repeat(100_000),
      async (root) => {
        assert.deepEqual(tempFiles(root), []);
        await Promise.resolve();
      },
    );
  },
});

Deno.test({
  name: "interrupted chunked PUT: old file intact, no temporary file left",
  ignore: !BLACK_BOX,
  async fn() {
    const chunk = "y".repeat(4096);
    await interrupted(
      `PUT /hello.txt HTTP/1.1\r\nHost: t\r\n${auth}Transfer-Encoding: chunked\r\n\r\n`,
      `1000\r\n${chunk}\r\n1000\r\n${chunk.slice(0, 100)}`,
      async (root) => {
        assert.deepEqual(tempFiles(root), []);
        await Promise.resolve();
      },
    );
  },
});

Deno.test({
  name: "interrupted PUT of a new file creates nothing",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer();
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      await writeAll(
        conn,
        `PUT /fresh.txt HTTP/1.1\r\nHost: t\r\n${auth}Content-Length: 10\r\n\r\nabcde`,
      );
      await eventually(() => tempFiles(s.root).length === 1, 10_000, "the temporary file");
      conn.close();
      await eventually(() => tempFiles(s.root).length === 0, 10_000, "the temporary file removed");
      assert.throws(() => Deno.statSync(join(s.root, "fresh.txt")), Deno.errors.NotFound);
      assert.equal((await send(s.port, "/fresh.txt")).status, 404);
    } finally {
      await cleanup();
    }
  },
});
