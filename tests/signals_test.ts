/**
 * The signals an administrator sends, to the real process (SIGHUP is in reload_test.ts and
 * logs_test.ts, SIGUSR1 in logs_test.ts), and the README's signal table against the server's.
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { SIGNALS } from "../lib/server/signals.ts";
import { join } from "./helpers/paths.ts";
import { KeepAliveConn } from "./helpers/load_client.ts";
import { eventually, rawExchange, REPO, startServer, statusOf } from "./helpers/server.ts";

Deno.test("SIGQUIT stops gracefully, as in nginx: the response in flight completes, exit 0", async () => {
  const s = await startServer();
  const big = new Uint8Array(16 * 1024 * 1024);
  for (let off = 0; off < big.length; off += 65536) {
    crypto.getRandomValues(big.subarray(off, off + 65536));
  }
  Deno.writeFileSync(join(s.root, "big.bin"), big);
  const conn = await KeepAliveConn.open(s.port);
  try {
    await conn.send("/big.bin"); // not read yet: the server is still sending it
    await eventually(() => s.readLog("error.log").includes("listening"));
    s.proc.kill("SIGQUIT");
    await eventually(() => s.readLog("error.log").includes("caught SIGQUIT, shutting down"));
    const r = await conn.read();
    assertEquals(r?.status, 200);
    assertEquals(r?.body.length, big.length);
    assert.ok(r!.body.every((b, i) => b === big[i]), "the download is intact");
    assertEquals(await s.proc.status.then((st) => st.code), 0);
    assert.match(s.readLog("error.log"), /shutdown complete/);
  } finally {
    conn.close();
    await s.stop();
  }
});

Deno.test("SIGUSR2 (nginx: upgrade the binary) is logged and ignored: the server serves on", async () => {
  const s = await startServer();
  try {
    s.proc.kill("SIGUSR2");
    await eventually(() =>
      /\[core:warn\].*caught SIGUSR2 .*not supported, ignored/.test(s.readLog("error.log"))
    );
    const r = await rawExchange(
      s.port,
      "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assertEquals(statusOf(r), 200);
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

const ACTION_WORDS = {
  stop: /stop/i,
  reload: /reload/i,
  "reopen-logs": /reopen/i,
  ignore: /ignor/i,
} as const;

Deno.test("the README's signal table lists every signal the server handles, with what it does", () => {
  const readme = Deno.readTextFileSync(join(REPO, "README.md"));
  const rows = new Map<string, string>();
  for (const line of readme.split("\n")) {
    const m = /^\| `(SIG[A-Z0-9]+)`[^|]*\|(.*)\|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  for (const r of SIGNALS) {
    const row = rows.get(r.signal);
    assert.ok(row !== undefined, `${r.signal} is in the README's table`);
    const [nginx, service, terminal] = row.split("|").map((c) => c.trim());
    assert.ok(nginx?.toLowerCase().includes(r.nginx), `${r.signal}: nginx "${r.nginx}"`);
    assert.match(service ?? "", ACTION_WORDS[r.service], `${r.signal} as a service`);
    assert.match(terminal ?? "", ACTION_WORDS[r.terminal], `${r.signal} from a terminal`);
  }
  assert.ok(rows.has("SIGKILL"), "SIGKILL, which cannot be handled, is explained too");
});
