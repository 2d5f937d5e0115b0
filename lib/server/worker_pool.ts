/**
 * Spawn N workers, supervise them, replace any that dies, and drain them on shutdown. The
 * listening sockets live in the workers (SO_REUSEPORT), so a dying worker takes only its own
 * connections with it; the others keep serving while a replacement starts.
 * @module
 */

import type { FromWorker, ToWorker } from "./messages.ts";

/** How the pool talks to its owner. */
export interface PoolOptions {
  readonly size: number;
  readonly workerUrl: URL;
  /** The start message for worker `id`. */
  startMessage(id: number): ToWorker;
  /** Every message a worker posts (logs, stats). */
  onMessage(m: FromWorker): void;
  /** Supervision events for error.log. */
  onEvent(level: "info" | "warn" | "crit", message: string): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  stopped: boolean;
}

const MAX_BACKOFF_MS = 5000;

/** A supervised set of workers. */
export class WorkerPool {
  readonly #o: PoolOptions;
  readonly #slots = new Map<number, Slot>();
  #stopping = false;
  #crashes: number[] = [];
  #startWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** How many workers have been replaced after dying. */
  restarts = 0;

  constructor(o: PoolOptions) {
    this.#o = o;
  }

  /** Start every worker; resolves when all listen, rejects when one cannot. */
  start(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.#startWaiters.push({ resolve, reject }));
    for (let id = 1; id <= this.#o.size; id++) this.#spawn(id);
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

  #spawn(id: number): void {
    const worker = new Worker(this.#o.workerUrl, {
      type: "module",
      name: `httpserver-worker-${id}`,
    });
    const slot: Slot = { worker, ready: false, stopped: false };
    this.#slots.set(id, slot);
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#message(id, slot, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault(); // an uncaught worker error must not take the main thread down
      this.#died(id, slot, e.message);
    };
    worker.onmessageerror = () => this.#died(id, slot, "message could not be deserialized");
    worker.postMessage(this.#o.startMessage(id));
  }

  #message(id: number, slot: Slot, m: FromWorker): void {
    if (m.type === "ready") {
      slot.ready = true;
      if (this.ready === this.#o.size) this.#settle(null);
    } else if (m.type === "listen-failed") {
      this.#settle(new Error(m.message));
    } else if (m.type === "stopped") {
      slot.stopped = true;
    }
    this.#o.onMessage(m);
    void id;
  }

  #settle(err: Error | null): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const w of waiters) err === null ? w.resolve() : w.reject(err);
  }

  #died(id: number, slot: Slot, why: string): void {
    if (this.#slots.get(id) !== slot) return;
    slot.worker.terminate();
    slot.ready = false;
    this.#slots.delete(id);
    if (this.#stopping) return;
    const now = Date.now();
    this.#crashes = this.#crashes.filter((t) => now - t < 10_000);
    this.#crashes.push(now);
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** (this.#crashes.length - 1));
    this.#o.onEvent("crit", `worker ${id} died (${why}); starting a replacement in ${delay} ms`);
    setTimeout(() => {
      if (this.#stopping) return;
      this.restarts++;
      this.#spawn(id);
    }, delay);
  }

  /** Ask every worker to drain, wait up to graceMs (+1 s to flush), then terminate them. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const s of this.#slots.values()) {
      s.worker.postMessage({ type: "stop", graceMs } satisfies ToWorker);
    }
    const until = Date.now() + graceMs + 1000;
    while (Date.now() < until && [...this.#slots.values()].some((s) => !s.stopped)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of this.#slots.values()) s.worker.terminate();
    this.#slots.clear();
  }
}
