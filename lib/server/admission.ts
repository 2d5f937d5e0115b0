/**
 * Who gets a connection: a worker's share of MaxSimultaneousConnections and of
 * MaxConnectionsPerClient, and which open connection makes room when the worker is full. Pure:
 * the worker tells it what opened and closed, and it answers with a decision.
 *
 * ```
 *   new connection from C
 *     C already holds its share of MaxConnectionsPerClient  -> refuse ("client"): 503
 *     worker below its share of MaxSimultaneousConnections  -> admit
 *     a connection waits for a request head (idle keep-alive,
 *       or a head not finished), the one waiting longest    -> evict it, admit
 *     otherwise (every connection reads a body or answers)   -> refuse ("full"): 503
 * ```
 *
 * Why a share per worker: each worker accepts on its own SO_REUSEPORT socket, and the kernel
 * picks the worker of a connection by a hash of its addresses and ports, so the connections of
 * one client spread evenly over the workers. A worker therefore allows ceil(limit / workers)
 * per client: a client never holds more than workers × share (less than limit + workers), the
 * count needs no state shared between threads, and nothing is left counted when a worker dies.
 * The price: a client may be refused a little before the limit when its connections land
 * unevenly (with 2 workers and the default 256, it gets at least 128 and at most 256).
 * Counting through the main thread instead would put a message round trip in front of every
 * accept; counting in shared memory would leave a dead worker's connections counted.
 *
 * The client is `clientIp`: the connection's peer address today; a transport that learns the
 * real address later (PROXY protocol) moves the count with rekey().
 * @module
 */

/** What admission needs to know of an open connection. */
export interface Waiting {
  /**
   * Epoch ms since the connection has been waiting for a request head (the last response
   * ended, or it was accepted); null while it is reading a body, handling or answering a
   * request, or closing: such a connection is never evicted.
   */
  readonly waitingSince: number | null;
}

/** The decision on a new connection. */
export type Decision<T> =
  | { readonly kind: "admit" }
  /** Close `victim` (waiting longest for a head), then admit. */
  | { readonly kind: "evict"; readonly victim: T }
  | { readonly kind: "refuse"; readonly reason: "client" | "full" };

const ADMIT: Decision<never> = Object.freeze({ kind: "admit" });
const REFUSE_CLIENT: Decision<never> = Object.freeze({ kind: "refuse", reason: "client" });
const REFUSE_FULL: Decision<never> = Object.freeze({ kind: "refuse", reason: "full" });

/** A worker's share of an instance-wide limit. */
export function shareOf(limit: number, workers: number): number {
  return Math.max(1, Math.ceil(limit / Math.max(1, workers)));
}

/**
 * The connection that has waited longest for a request head, or null when none waits.
 * @example
 * oldestWaiting([{ waitingSince: 5 }, { waitingSince: null }, { waitingSince: 3 }]); // the 3
 */
export function oldestWaiting<T extends Waiting>(open: readonly T[]): T | null {
  let best: T | null = null;
  let since = Infinity;
  for (const c of open) {
    const w = c.waitingSince;
    if (w !== null && w < since) {
      best = c;
      since = w;
    }
  }
  return best;
}

/** A worker's connection admission. */
export class Admission {
  /** This worker's share of MaxSimultaneousConnections. */
  readonly maxOpen: number;
  /** This worker's share of MaxConnectionsPerClient. */
  readonly maxPerClient: number;
  readonly #byClient = new Map<string, number>();
  #refused = { client: 0, full: 0 };
  #reportedAt = -Infinity;

  /**
   * @param o instance-wide limits and the number of workers sharing them
   */
  constructor(
    o: { readonly maxOpen: number; readonly maxPerClient: number; readonly workers: number },
  ) {
    this.maxOpen = shareOf(o.maxOpen, o.workers);
    this.maxPerClient = shareOf(o.maxPerClient, o.workers);
  }

  /**
   * Decide on a new connection from `clientIp`.
   * @param open the worker's open connections (read only when the worker is full)
   */
  decide<T extends Waiting>(clientIp: string, open: readonly T[]): Decision<T> {
    if ((this.#byClient.get(clientIp) ?? 0) >= this.maxPerClient) return REFUSE_CLIENT;
    if (open.length < this.maxOpen) return ADMIT;
    const victim = oldestWaiting(open);
    return victim === null ? REFUSE_FULL : { kind: "evict", victim };
  }

  /** A connection from `clientIp` was admitted. */
  opened(clientIp: string): void {
    this.#byClient.set(clientIp, (this.#byClient.get(clientIp) ?? 0) + 1);
  }

  /** A connection from `clientIp` closed. */
  closed(clientIp: string): void {
    const n = (this.#byClient.get(clientIp) ?? 0) - 1;
    if (n > 0) this.#byClient.set(clientIp, n);
    else this.#byClient.delete(clientIp);
  }

  /** The connection's client turned out to be `to` (e.g. from a PROXY protocol header). */
  rekey(from: string, to: string): void {
    if (from === to) return;
    this.closed(from);
    this.opened(to);
  }

  /** Connections `clientIp` holds on this worker. */
  count(clientIp: string): number {
    return this.#byClient.get(clientIp) ?? 0;
  }

  /**
   * Note a refusal; returns an error.log message at most once a second (with how many were
   * refused since the last one), so a flood of refused connections writes a line a second.
   */
  refused(reason: "client" | "full", nowMs: number): string | null {
    this.#refused[reason]++;
    if (nowMs - this.#reportedAt < 1000) return null;
    this.#reportedAt = nowMs;
    const { client, full } = this.#refused;
    this.#refused = { client: 0, full: 0 };
    const parts: string[] = [];
    if (client > 0) {
      parts.push(`${client} over MaxConnectionsPerClient (${this.maxPerClient} on this worker)`);
    }
    if (full > 0) {
      parts.push(
        `${full} over MaxSimultaneousConnections (${this.maxOpen} on this worker, ` +
          "none waiting to give way)",
      );
    }
    return `refused with 503: ${parts.join(", ")}`;
  }
}
