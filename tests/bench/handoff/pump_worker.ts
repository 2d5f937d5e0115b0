/// <reference lib="deno.worker" />
/**
 * Worker half of the main-thread-pump prototype: a Transport over postMessage feeding the
 * production Connection and Site.
 */
import type { Config } from "../../../lib/config/config.ts";
import { DateCache } from "../../../lib/http/http_date.ts";
import { formatAccessLine } from "../../../lib/log/access_log.ts";
import type { Transport } from "../../../lib/server/transport.ts";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionSettings,
  connectionSettings,
} from "../../../lib/server/connection.ts";
import { buildSite } from "../../../lib/server/site.ts";

class PostedTransport implements Transport {
  queue: Uint8Array[] = [];
  waiting: ((n: number | null) => void) | null = null;
  target: Uint8Array | null = null;
  eof = false;
  constructor(readonly id: number) {}
  push(b: Uint8Array | null): void {
    if (b === null) this.eof = true;
    else this.queue.push(b);
    this.deliver();
  }
  deliver(): void {
    if (this.waiting === null || this.target === null) return;
    const w = this.waiting;
    const t = this.target;
    const b = this.queue.shift();
    if (b === undefined) {
      if (!this.eof) {
        return;
      }
      this.waiting = null;
      w(null);
      return;
    }
    const n = Math.min(b.length, t.length);
    t.set(b.subarray(0, n));
    if (n < b.length) this.queue.unshift(b.subarray(n));
    this.waiting = null;
    w(n);
  }
  read(p: Uint8Array): Promise<number | null> {
    return new Promise((r) => {
      this.waiting = r;
      this.target = p;
      this.deliver();
    });
  }
  write(p: Uint8Array): Promise<number> {
    const copy = p.slice();
    self.postMessage({ type: "write", id: this.id, bytes: copy }, [copy.buffer]);
    return Promise.resolve(p.length);
  }
  close(): void {
    self.postMessage({ type: "close", id: this.id });
  }
}

const transports = new Map<number, PostedTransport>();
let hooks: ConnectionHooks | null = null;
let settings: ConnectionSettings | null = null;

self.onmessage = (
  e: MessageEvent<{ type: string; id: number; bytes?: Uint8Array; config?: Config }>,
) => {
  const m = e.data;
  if (m.type === "start") {
    const site = buildSite(m.config!, {});
    const dates = new DateCache(Date.now);
    let acc = "";
    settings = connectionSettings(m.config!);
    hooks = {
      handle: (r) => site.respond(r),
      errorPlan: site.errorPlan,
      date: () => dates.value(),
      access: (r) => {
        acc += formatAccessLine(r) + "\n";
        if (acc.length > 65536) acc = "";
      },
      error: () => {},
      draining: () => false,
    };
    return;
  }
  let t = transports.get(m.id);
  if (t === undefined) {
    t = new PostedTransport(m.id);
    transports.set(m.id, t);
    void new Connection(t, { ip: "127.0.0.1", port: 0 }, settings!, hooks!).run().finally(() =>
      transports.delete(m.id)
    );
  }
  t.push(m.type === "data" ? m.bytes! : null);
};
