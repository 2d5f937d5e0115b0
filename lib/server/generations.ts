/**
 * Generations of workers: the pool serving now, and the pools a reload retired that are still
 * finishing their requests. A reload starts a new pool with the new configuration beside the
 * current one (both listen with SO_REUSEPORT, so the kernel spreads new connections over
 * both), and only once every new worker listens tells the old pool to close its listeners and
 * drain within ShutdownGrace. Connections already queued on an old listener move to the new
 * ones when `net.ipv4.tcp_migrate_req` is 1; otherwise the kernel resets them (see the README).
 * Worker ids stay unique across generations, so logs and the status page tell workers apart.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { PROTOCOL_VERSION } from "./messages.ts";
import { WorkerPool } from "./worker_pool.ts";

/** Everything one generation of workers starts with. */
export interface GenerationSpec {
  readonly config: Config;
  /** The port to listen on (resolved when the config said 0). */
  readonly port: number;
  /** Error page templates by status. */
  readonly templates: Readonly<Record<string, string>>;
  readonly sessionKey: string;
  /**
   * HTTPS and ACME fields of a worker's start message, read when each worker starts (a
   * replacement gets the pair and the challenge tokens of that moment).
   */
  readonly secure: () => Pick<Extract<ToWorker, { type: "start" }>, "tls" | "acmeChallenges">;
}

/** What happens to a generation's workers, for the status board. */
export type WorkersEvent = "starting" | "stopping" | "gone";

/** How the generations talk to their owner. */
export interface GenerationsOptions {
  readonly workerUrl: URL;
  /** Every worker message, with a way to answer the worker that sent it. */
  onMessage(m: FromWorker, reply: (answer: ToWorker) => void): void;
  /** Supervision events for error.log (a worker died or was stuck). */
  onEvent(level: "info" | "warn" | "crit", message: string): void;
  onWorkers(ids: readonly number[], event: WorkersEvent): void;
  /** A worker of the current generation is stuck (see WorkerPool's onStuck). */
  onStuck(id: number): void;
}

interface Generation {
  readonly number: number;
  readonly spec: GenerationSpec;
  readonly pool: WorkerPool;
}

/** The current generation of workers and the retiring ones. */
export class Generations {
  readonly #o: GenerationsOptions;
  #current: Generation | null = null;
  readonly #retiring = new Map<Generation, Promise<void>>();
  #nextId = 1;
  #count = 0;
  #retiredRestarts = 0;

  constructor(o: GenerationsOptions) {
    this.#o = o;
  }

  /** The number of the generation serving now (1 after start, +1 per reload). */
  get number(): number {
    return this.#current?.number ?? 0;
  }

  /** Workers replaced after dying or sticking, over every generation. */
  get restarts(): number {
    let n = this.#retiredRestarts + (this.#current?.pool.restarts ?? 0);
    for (const g of this.#retiring.keys()) n += g.pool.restarts;
    return n;
  }

  /** The ids of the current generation's workers. */
  get ids(): readonly number[] {
    return this.#current?.pool.ids ?? [];
  }

  /** Post to a worker of the current generation; false when it has no such worker now. */
  send(id: number, m: ToWorker): boolean {
    return this.#current?.pool.send(id, m) ?? false;
  }

  /** Post to every worker of the current generation. */
  broadcast(m: ToWorker): void {
    this.#current?.pool.broadcast(m);
  }

  /** Whether the current generation serves and answers its heartbeat (the systemd watchdog). */
  healthy(): boolean {
    return this.#current?.pool.healthy() ?? false;
  }

  /**
   * Start a generation with `spec`, and once all its workers listen, retire the current one:
   * it closes its listeners (awaited here) and finishes its requests within its
   * ShutdownGrace (in the background).
   * @throws Error when a new worker cannot listen or start; the current generation is untouched
   */
  async switchTo(spec: GenerationSpec): Promise<void> {
    const next = this.#create(spec);
    const ids = next.pool.ids;
    this.#o.onWorkers(ids, "starting");
    try {
      await next.pool.start();
    } catch (e) {
      await next.pool.stop(0);
      this.#o.onWorkers(ids, "gone");
      throw e;
    }
    const old = this.#current;
    this.#current = next;
    if (old !== null) await this.#retire(old);
  }

  #create(spec: GenerationSpec): Generation {
    const c = spec.config;
    const firstId = this.#nextId;
    this.#nextId += c.workers;
    const pool: WorkerPool = new WorkerPool({
      size: c.workers,
      firstId,
      heartbeatMs: c.workerHeartbeatMs,
      workerUrl: this.#o.workerUrl,
      startMessage: (id) => ({
        type: "start",
        version: PROTOCOL_VERSION,
        id,
        config: c,
        port: spec.port,
        templates: spec.templates,
        sessionKey: spec.sessionKey,
        ...spec.secure(),
      }),
      onMessage: (m) => this.#o.onMessage(m, (answer) => void pool.send(m.id, answer)),
      onEvent: this.#o.onEvent,
      onStuck: this.#o.onStuck,
    });
    return { number: ++this.#count, spec, pool };
  }

  async #retire(g: Generation): Promise<void> {
    const grace = g.spec.config.shutdownGraceMs;
    this.#o.onWorkers(g.pool.ids, "stopping");
    const done = g.pool.stop(grace, "reload").then(() => {
      this.#retiring.delete(g);
      this.#retiredRestarts += g.pool.restarts;
      this.#o.onWorkers(g.pool.ids, "gone");
    });
    this.#retiring.set(g, done);
    await g.pool.closed(grace + 1000);
  }

  /** Stop every generation (shutdown): each finishes within its ShutdownGrace. */
  async stopAll(): Promise<void> {
    for (const g of this.#retiring.keys()) g.pool.hurry();
    const all = [...this.#retiring.values()];
    const g = this.#current;
    if (g !== null) all.push(g.pool.stop(g.spec.config.shutdownGraceMs, "shutdown"));
    await Promise.all(all);
  }
}
