/**
 * Measurement prototype for the worker hand-off choice (docs/PERFORMANCE.md, "Worker hand-off"):
 * the main thread accepts every connection and pumps its bytes to a worker with postMessage;
 * workers run the same Connection/Site code over a message-passing transport. Compare with the
 * shipped design (each worker listens with SO_REUSEPORT) by driving each with the same wrk
 * command.
 *
 * Usage: deno run -A tests/bench/handoff/main_pump.ts CONFIG PORT WORKERS
 * then, e.g.: wrk -t2 -c50 -d5s http://127.0.0.1:PORT/index.html
 */
import { dirname, resolve } from "node:path";
import { parseConfig } from "../../../lib/config/config.ts";

const [file, portText, workersText] = Deno.args;
const config = parseConfig(Deno.readTextFileSync(file!), {
  file: resolve(file!),
  baseDir: dirname(resolve(file!)),
  cpus: navigator.hardwareConcurrency,
});
const workers: Worker[] = [];
const conns = new Map<number, Deno.Conn>();
for (let i = 0; i < Number(workersText); i++) {
  const w = new Worker(new URL("./pump_worker.ts", import.meta.url), { type: "module" });
  w.postMessage({ type: "start", config });
  w.onmessage = (e: MessageEvent<{ type: string; id: number; bytes?: Uint8Array }>) => {
    const c = conns.get(e.data.id);
    if (c === undefined) return;
    if (e.data.type === "close") {
      conns.delete(e.data.id);
      try {
        c.close();
      } catch { /* closed */ }
    } else void writeAll(c, e.data.bytes!).catch(() => {});
  };
  workers.push(w);
}

async function writeAll(c: Deno.Conn, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) off += await c.write(b.subarray(off));
}

async function pump(id: number, c: Deno.Conn, w: Worker): Promise<void> {
  const buf = new Uint8Array(16384);
  try {
    for (;;) {
      const n = await c.read(buf);
      if (n === null) break;
      const bytes = buf.slice(0, n);
      w.postMessage({ type: "data", id, bytes }, [bytes.buffer]);
    }
  } catch { /* reset */ }
  w.postMessage({ type: "eof", id });
}

const l = Deno.listen({ hostname: "127.0.0.1", port: Number(portText) });
Deno.stdout.writeSync(new TextEncoder().encode(`pump listening on ${portText}\n`));
let next = 0;
for await (const c of l) {
  const id = ++next;
  conns.set(id, c);
  void pump(id, c, workers[id % workers.length]!);
}
