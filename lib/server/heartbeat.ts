/**
 * The worker heartbeat, as pure bookkeeping: the pool pings each ready worker every
 * `periodMs` (a quarter of `WorkerHeartbeat`), a worker answers from its event loop, and one
 * whose ping has gone unanswered for `timeoutMs` (`WorkerHeartbeat`) is stuck: a loop, or a
 * blocking call. The pool terminates and replaces it, and the systemd watchdog is fed only while
 * no worker is late.
 *
 * The main thread's own lateness must not condemn a worker: when a pulse comes much later than
 * its period (the main thread was blocked), the answers queued meanwhile are read first and
 * nobody is judged in that round.
 * @module
 */

/** What the pool should do after a pulse. */
export interface Pulse {
  /** Workers to ping now, each with its sequence number. */
  readonly ping: ReadonlyArray<{ readonly id: number; readonly seq: number }>;
  /** Workers that left a ping unanswered for the whole timeout. */
  readonly stuck: readonly number[];
}

interface Beat {
  /** Sequence number of the ping awaiting an answer, or 0. */
  seq: number;
  /** When that ping was sent (ms). */
  sentMs: number;
}

/** The quarter of the timeout between pings. */
export function heartbeatPeriod(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs / 4));
}

/** Heartbeat bookkeeping for one pool's workers. */
export class Heartbeat {
  readonly #timeoutMs: number;
  readonly #periodMs: number;
  readonly #beats = new Map<number, Beat>();
  #seq = 0;
  #lastPulseMs = -Infinity;

  /** @param timeoutMs WorkerHeartbeat: how long a ping may go unanswered */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#periodMs = heartbeatPeriod(timeoutMs);
  }

  /** Milliseconds between pulses. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Start watching a worker (once it listens). */
  watch(id: number): void {
    this.#beats.set(id, { seq: 0, sentMs: 0 });
  }

  /** Stop watching a worker (it died, or the pool is stopping). */
  forget(id: number): void {
    this.#beats.delete(id);
  }

  /** A worker answered ping `seq`. */
  answered(id: number, seq: number): void {
    const b = this.#beats.get(id);
    if (b !== undefined && b.seq === seq) b.seq = 0;
  }

  /**
   * One pulse: which workers to ping, which are stuck. A worker is pinged when it has no ping
   * pending; stuck when its pending ping is older than the timeout.
   */
  pulse(nowMs: number): Pulse {
    const late = nowMs - this.#lastPulseMs > 2 * this.#periodMs && this.#lastPulseMs > -Infinity;
    this.#lastPulseMs = nowMs;
    const ping: Array<{ id: number; seq: number }> = [];
    const stuck: number[] = [];
    for (const [id, b] of this.#beats) {
      if (b.seq === 0) {
        b.seq = ++this.#seq;
        b.sentMs = nowMs;
        ping.push({ id, seq: b.seq });
      } else if (late) {
        // The main thread itself was held up: answers may be waiting in its queue. Give them
        // a full timeout from now.
        b.sentMs = Math.max(b.sentMs, nowMs - this.#periodMs);
      } else if (nowMs - b.sentMs >= this.#timeoutMs) {
        stuck.push(id);
      }
    }
    return { ping, stuck };
  }

  /**
   * Whether every watched worker is answering: none has a ping pending for longer than two
   * periods (half the timeout). Feeds the systemd watchdog.
   */
  healthy(nowMs: number): boolean {
    for (const b of this.#beats.values()) {
      if (b.seq !== 0 && nowMs - b.sentMs > 2 * this.#periodMs) return false;
    }
    return true;
  }
}
