/**
 * Certificate swaps under load, run by tests/https_reload_test.ts inside a private network
 * namespace (`unshare -n`, where it may set net.ipv4.tcp_migrate_req without touching the
 * host): starts the real server with HTTPS (its files checked every TLSReloadInterval = 50ms),
 * runs CONCURRENCY client loops that each open a new TLS connection per request, while the
 * certificate files are replaced SWAPS times, each time once the server serves the previous
 * pair and SWAP_MS later (so every swap is a renewal, however slow the machine). Prints one
 * JSON line: `{"ok":n,"failed":n,"errors":{...},"swaps":n,"renewals":n}`.
 *
 * Usage: deno run -A tests/helpers/swap_load.ts SWAPS CONCURRENCY SWAP_MS
 * @module
 */

import { join } from "./paths.ts";
import { startServer } from "./server.ts";
import { makeLeaf, makePki } from "./tls.ts";

const [swapCount, concurrency, swapMs] = Deno.args.map(Number);
if (!(swapCount! > 0 && concurrency! > 0 && swapMs! > 0)) {
  throw new Error("usage: swap_load.ts SWAPS CONCURRENCY SWAP_MS");
}
/** Longest wait for one renewal to be served (bounds the whole run on a stalled server). */
const RENEWAL_BOUND_MS = 15_000;

const pki = await makePki();
const pairs = [
  { cert: pki.cert, key: pki.key },
  await makeLeaf(pki, "second", "localhost-2"),
];
const live = { cert: join(pki.dir, "live.pem"), key: join(pki.dir, "live.key") };

/** Put a pair in place, each file replaced at once (rename), as renewal tools do. */
function install(p: { cert: string; key: string }): void {
  for (const [from, to] of [[p.cert, live.cert], [p.key, live.key]] as const) {
    Deno.copyFileSync(from, to + ".new");
    Deno.renameSync(to + ".new", to);
  }
}

install(pairs[0]!);
const s = await startServer({
  conf: {
    TLSListen: "127.0.0.1:0",
    TLSCertificate: live.cert,
    TLSKey: live.key,
    TLSReloadInterval: "50ms",
    AccessLog: "Off",
  },
});
const ca = Deno.readTextFileSync(pki.ca);
const request = new TextEncoder().encode(
  "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
);
let ok = 0;
let failed = 0;
const errors: Record<string, number> = {};
let done = false;

async function once(): Promise<void> {
  const conn = await Deno.connectTls({ hostname: "localhost", port: s.tlsPort!, caCerts: [ca] });
  try {
    await conn.write(request);
    const buf = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (!text.startsWith("HTTP/1.1 200 ")) throw new Error(`answer: ${text.slice(0, 40)}`);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function client(): Promise<void> {
  while (!done) {
    try {
      await once();
      ok++;
    } catch (e) {
      failed++;
      const name = e instanceof Error ? `${e.name}: ${e.message.slice(0, 60)}` : String(e);
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
}

const served = () =>
  s.readLog("error.log").split("\n").filter((l) => /HTTPS now serves/.test(l)).length;
let swaps = 0;
const clients = Array.from({ length: concurrency! }, client);
try {
  for (; swaps < swapCount!; swaps++) {
    await new Promise((r) => setTimeout(r, swapMs));
    install(pairs[(swaps + 1) % 2]!);
    const bound = Date.now() + RENEWAL_BOUND_MS;
    while (served() < swaps + 1 && Date.now() < bound) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
} finally {
  done = true;
  await Promise.all(clients);
}
const code = await s.stop();
const renewals = served();
Deno.stdout.writeSync(
  new TextEncoder().encode(JSON.stringify({ ok, failed, errors, swaps, renewals, code }) + "\n"),
);
