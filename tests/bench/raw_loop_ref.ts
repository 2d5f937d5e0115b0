/**
 * Reference row: the raw Deno loop, the floor under our server. Run by the bench as
 * `deno run --unstable-net -A tests/bench/raw_loop_ref.ts PORT WORKERS [TLS_PORT]` with the
 * document root in BENCH_DOCROOT; it reads the root's small files (up to 1 MiB) once and starts
 * WORKERS workers (`raw_loop_worker.ts`) that each listen on PORT with `SO_REUSEPORT` and answer
 * every request head with a response prepared in advance. What this row costs is what Deno's
 * accept, read, write and close cost; the difference to ours is the server's own work. With
 * TLS_PORT (and BENCH_TLS_CERT, BENCH_TLS_KEY), each worker also listens there with
 * `Deno.listenTls`, TCP_NODELAY set as ours sets it: the floor Deno's TLS (rustls) sets.
 * @module
 */

import { join } from "node:path";
import type { RawStart } from "./raw_loop_worker.ts";

const MAX_FILE = 1024 * 1024;

const port = Number(Deno.args[0]);
const workers = Number(Deno.args[1] ?? navigator.hardwareConcurrency);
const tlsPort = Deno.args[2] === undefined ? null : Number(Deno.args[2]);
if (!Number.isInteger(port) || !Number.isInteger(workers) || workers < 1) {
  throw new Error("usage: raw_loop_ref.ts PORT WORKERS [TLS_PORT]");
}
const root = Deno.env.get("BENCH_DOCROOT") ?? Deno.cwd();
const files: Record<string, Uint8Array> = {};
for (const e of Deno.readDirSync(root)) {
  if (!e.isFile) continue;
  const path = join(root, e.name);
  if (Deno.statSync(path).size <= MAX_FILE) files[`/${e.name}`] = Deno.readFileSync(path);
}
const tls = tlsPort === null ? null : {
  port: tlsPort,
  cert: Deno.readTextFileSync(Deno.env.get("BENCH_TLS_CERT") ?? ""),
  key: Deno.readTextFileSync(Deno.env.get("BENCH_TLS_KEY") ?? ""),
};
const start: RawStart = { port, files, tls };
const url = new URL("./raw_loop_worker.ts", import.meta.url);
await Promise.all(Array.from({ length: workers }, () =>
  new Promise<void>((resolve, reject) => {
    const w = new Worker(url, { type: "module" });
    w.onmessage = () => resolve();
    w.onerror = (e) => reject(e.error ?? new Error(e.message));
    w.postMessage(start);
  })));
Deno.stdout.writeSync(
  new TextEncoder().encode(`raw loop listening on ${port} (${workers} workers)\n`),
);
