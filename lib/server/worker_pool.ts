/**
 * Spawn N workers, supervise them, replace any that dies, report any that stops answering the
 * heartbeat, and drain them on shutdown or reload. The listening sockets live in the workers (SO_REUSEPORT),
 * so a dying worker takes only its own connections with it; the others keep serving while a
 * replacement starts. A reload starts a second pool beside this one (see generations.ts).
 * @module
 */

import { formatDuration } from "../config/values.ts";
import { Heartbeat } from "./heartbeat.ts";
import type { FromWorker, StopReason, ToWorker } from "./messages.ts";

/** How the pool talks to its owner. */
export interface PoolOptions {
  readonly size: number;
  readonly workerUrl: URL;
  /** Id of the first worker (the others follow); ids stay unique across generations. */
  readonly firstId?: number;
  /** WorkerHeartbeat in ms: a worker silent this long is replaced (0 or absent: off). */
  readonly heartbeatMs?: number;
  /** The start message for worker `id`. */
  startMessage(id: number): ToWorker;
  /** Every message a worker posts (logs, stats). */
  onMessage(m: FromWorker): void;
  /** Supervision events for error.log. */
  onEvent(level: "info" | "warn" | "crit", message: string): void;
  /**
   * A worker missed its heartbeat. It has been told to terminate, but Deno cannot interrupt a
   * thread that does not yield (measured with Deno 2.9: it keeps running, and its listening
   * socket keeps taking its share of new connections), so no replacement is started here: the
   * owner restarts the process (see lifecycle.ts).
   */
  onStuck?(id: number): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Its listener is closed (after "stop"). */
  closed: boolean;
  stopped: boolean;
}

const MAX_BACKOFF_MS = 5000;
const POLL_MS = 20;

/** A supervised set of workers. */
export class WorkerPool {
  readonly #o: PoolOptions;
  readonly #slots = new Map<number, Slot>();
  readonly #heartbeat: Heartbeat | null;
  #beat: ReturnType<typeof setInterval> | null = null;
  #stopping = false;
  #crashes: number[] = [];
  #startWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** How many workers have been replaced after dying. */
  restarts = 0;

  constructor(o: PoolOptions) {
    this.#o = o;
    const hb = o.heartbeatMs ?? 0;
    this.#heartbeat = hb > 0 ? new Heartbeat(hb) : null;
  }

  /** The ids of this pool's workers. */
  get ids(): number[] {
    const first = this.#o.firstId ?? 1;
    return Array.from({ length: this.#o.size }, (_, i) => first + i);
  }

  /** Start every worker; resolves when all listen, rejects when one cannot. */
  start(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.#startWaiters.push({ resolve, reject }));
    for (const id of this.ids) this.#spawn(id);
    if (this.#heartbeat !== null) {
      const beat = setInterval(() => this.#pulse(), this.#heartbeat.periodMs);
      Deno.unrefTimer(beat);
      this.#beat = beat;
    }
    return p;
  }

  /** Post a message to one worker; false when no worker has that id now. */
  send(id: number, m: ToWorker): boolean {
    const s = this.#slots.get(id);
    if (s === undefined) return false;
    s.worker.postMessage(m);
    return true;
  }

  /** Post a message to every worker there is now (a replacement gets its start message). */
  broadcast(m: ToWorker): void {
    for (const s of this.#slots.values()) s.worker.postMessage(m);
  }

  /** Workers currently ready. */
  get ready(): number {
    let n = 0;
    for (const s of this.#slots.values()) if (s.ready) n++;
    return n;
  }

  /**
   * Whether the pool serves and every worker answers the heartbeat (what the systemd watchdog
   * is fed on): at least one worker ready, none late.
   */
  healthy(): boolean {
    return this.ready > 0 && (this.#heartbeat?.healthy(Date.now()) ?? true);
  }

  #spawn(id: number): void {
    const worker = new Worker(this.#o.workerUrl, {
      type: "module",
      name: `httpserver-worker-${id}`,
    });
    const slot: Slot = { worker, ready: false, closed: false, stopped: false };
    this.#slots.set(id, slot);
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#message(id, slot, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault(); // an uncaught worker error must not take the main thread down
      this.#died(id, slot, `worker ${id} died (${e.message})`);
    };
    worker.onmessageerror = () =>
      this.#died(id, slot, `worker ${id} died (message could not be deserialized)`);
    worker.postMessage(this.#o.startMessage(id));
  }

  #message(id: number, slot: Slot, m: FromWorker): void {
    if (m.type === "pong") {
      this.#heartbeat?.answered(id, m.seq);
      return;
    }
    if (m.type === "ready") {
      slot.ready = true;
      if (!this.#stopping) this.#heartbeat?.watch(id);
      if (this.ready === this.#o.size) this.#settle(null);
    } else if (m.type === "listen-failed") {
      this.#settle(new Error(m.message));
    } else if (m.type === "closed") {
      slot.closed = true;
    } else if (m.type === "stopped") {
      slot.stopped = true;
    }
    this.#o.onMessage(m);
  }

  #settle(err: Error | null): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const w of waiters) err === null ? w.resolve() : w.reject(err);
  }

  /** Ping the workers; report those stuck (see heartbeat.ts). */
  #pulse(): void {
    if (this.#heartbeat === null || this.#stopping) return;
    const { ping, stuck } = this.#heartbeat.pulse(Date.now());
    for (const p of ping) this.send(p.id, { type: "ping", seq: p.seq });
    const silent = formatDuration(this.#o.heartbeatMs ?? 0);
    for (const id of stuck) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      slot.worker.terminate();
      this.#slots.delete(id);
      this.#heartbeat.forget(id);
      this.#o.onEvent(
        "crit",
        `worker ${id} did not answer the heartbeat for ${silent} (stuck in a loop or a ` +
          "blocking call, which Deno cannot interrupt)",
      );
      this.#o.onStuck?.(id);
    }
  }

  #died(id: number, slot: Slot, what: string): void {
    if (this.#slots.get(id) !== slot) return;
    slot.worker.terminate();
    slot.ready = false;
    this.#slots.delete(id);
    this.#heartbeat?.forget(id);
    if (this.#stopping) return;
    const now = Date.now();
    this.#crashes = this.#crashes.filter((t) => now - t < 10_000);
    this.#crashes.push(now);
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** (this.#crashes.length - 1));
    this.#o.onEvent("crit", `${what}; starting a replacement in ${delay} ms`);
    setTimeout(() => {
      if (this.#stopping) return;
      this.restarts++;
      this.#spawn(id);
    }, delay);
  }

  /**
   * Ask every worker to stop accepting and drain (see the "stop" message), wait up to graceMs
   * (+1 s to flush), then terminate them.
   */
  async stop(graceMs: number, reason: StopReason = "shutdown"): Promise<void> {
    this.#stopping = true;
    if (this.#beat !== null) clearInterval(this.#beat);
    this.#beat = null;
    for (const s of this.#slots.values()) {
      s.worker.postMessage({ type: "stop", graceMs, reason } satisfies ToWorker);
    }
    await this.#until((s) => s.stopped, graceMs + 1000);
    for (const s of this.#slots.values()) s.worker.terminate();
    this.#slots.clear();
  }

  /** After stop(.., "reload"): the server is shutting down, so idle connections close now. */
  hurry(): void {
    for (const s of this.#slots.values()) {
      s.worker.postMessage({ type: "stop", graceMs: 0, reason: "shutdown" } satisfies ToWorker);
    }
  }

  /**
   * After stop(): resolves once every worker has closed its listener (or is gone), so no new
   * connection reaches this pool any more; at most `ms` later.
   */
  closed(ms: number): Promise<void> {
    return this.#until((s) => s.closed || s.stopped, ms);
  }

  async #until(done: (s: Slot) => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && [...this.#slots.values()].some((s) => !done(s))) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
