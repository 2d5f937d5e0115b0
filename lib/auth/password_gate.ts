/**
 * Who may start a password check (PBKDF2, ~0.1 s of CPU) now, so that wrong passwords cannot
 * buy the server's CPU (issue 19: 48 concurrent wrong passwords pushed a small GET from 0.3 ms
 * to hundreds of ms). Pure apart from promises: the clock is injected.
 *
 * ```
 *   credentials seen fail less than AuthFailureMemory ago -> 401 at once (no hashing)
 *   the client has started AuthAttemptsPerSecond checks
 *     within the last second (successes given back)      -> 429 + Retry-After (no hashing)
 *   MaxPasswordChecks checks running or waiting           -> 503 + Retry-After (no hashing)
 *   otherwise: wait for the worker's one hashing slot, hash
 * ```
 *
 * One check hashes at a time per worker. WebCrypto's deriveBits runs on a thread of the
 * runtime's pool, not on the worker's thread (measured: the event loop keeps turning while it
 * hashes), but each check in parallel is one more thread competing for the cores: 48 at once
 * left the workers a fraction of the CPU. In a queue, a worker's checks use one core at most,
 * and a flood from one client is refused before it reaches the queue.
 *
 * Limits arrive as this worker's share (server/site.ts divides the instance-wide settings by
 * the number of workers, as admission.ts does for connections).
 * @module
 */

import { trimOldest } from "../util/map_trim.ts";

/** Clients whose recent checks a worker remembers (the oldest are forgotten first). */
export const GATE_CLIENTS = 4096;
/** Failed credentials a worker remembers (the oldest are forgotten first). */
export const GATE_FAILURES = 1024;

/** This worker's limits. */
export interface GateOptions {
  /** Checks one client may start per second (AuthAttemptsPerSecond share); at least 1. */
  readonly attemptsPerSecond: number;
  /** How long failed credentials are refused again without hashing (AuthFailureMemory). */
  readonly failureMemoryMs: number;
  /** Checks running or waiting at once (MaxPasswordChecks share); at least 1. */
  readonly maxChecks: number;
  /** Epoch ms (the worker's clock). */
  readonly now: () => number;
}

/** Why a check may not start now. */
export type Refusal =
  /** The client started too many: 429. `first`: the first refusal of this run (log it). */
  | { readonly kind: "throttled"; readonly retryAfterS: number; readonly first: boolean }
  /** Too many checks queued: 503. `first`: the first refusal in a second (log it). */
  | { readonly kind: "busy"; readonly retryAfterS: number; readonly first: boolean };

interface Bucket {
  tokens: number;
  at: number;
  /** Refused since it last had a token (only the first refusal is logged). */
  refused: boolean;
}

/** A worker's gate in front of password hashing. */
export class PasswordGate {
  readonly #o: GateOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #failures = new Map<string, number>(); // credential key -> remembered until (ms)
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #busyLoggedAt = -Infinity;

  constructor(o: GateOptions) {
    this.#o = {
      ...o,
      attemptsPerSecond: Math.max(1, o.attemptsPerSecond),
      maxChecks: Math.max(1, o.maxChecks),
    };
  }

  /** Checks running or waiting now. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether these credentials (a keyed hash of them) failed within AuthFailureMemory. */
  failedRecently(key: string): boolean {
    const until = this.#failures.get(key);
    if (until === undefined) return false;
    if (until > this.#o.now()) return true;
    this.#failures.delete(key);
    return false;
  }

  /** Remember failed credentials for AuthFailureMemory. */
  rememberFailure(key: string): void {
    if (this.#o.failureMemoryMs <= 0) return;
    this.#failures.delete(key);
    this.#failures.set(key, this.#o.now() + this.#o.failureMemoryMs);
    trimOldest(this.#failures, GATE_FAILURES);
  }

  /**
   * Run `hash` when the client's rate and the queue allow it, one at a time per worker.
   * @param clientIp who asks ("" when unknown: all such share one allowance)
   * @returns the hash's result with `refund` (call it when the check succeeded: successes do
   *   not count against the client), or why it may not run
   */
  async run<T>(
    clientIp: string,
    hash: () => Promise<T>,
  ): Promise<{ readonly value: T; readonly refund: () => void } | Refusal> {
    const now = this.#o.now();
    const b = this.#bucket(clientIp, now);
    if (b.tokens < 1) {
      const first = !b.refused;
      b.refused = true;
      const retryAfterS = Math.max(1, Math.ceil((1 - b.tokens) / this.#o.attemptsPerSecond));
      return { kind: "throttled", retryAfterS, first };
    }
    if (this.#pending >= this.#o.maxChecks) {
      const first = now - this.#busyLoggedAt >= 1000;
      if (first) this.#busyLoggedAt = now;
      return { kind: "busy", retryAfterS: 1, first };
    }
    b.tokens -= 1;
    b.refused = false;
    this.#pending++;
    const turn = this.#tail.then(hash);
    this.#tail = turn.catch(() => {});
    try {
      const value = await turn;
      const refund = () => (b.tokens = Math.min(this.#o.attemptsPerSecond, b.tokens + 1));
      return { value, refund };
    } finally {
      this.#pending--;
    }
  }

  /** The client's bucket, refilled for the time since it was last used. */
  #bucket(clientIp: string, now: number): Bucket {
    const rate = this.#o.attemptsPerSecond;
    let b = this.#buckets.get(clientIp);
    if (b === undefined) {
      b = { tokens: rate, at: now, refused: false };
    } else {
      b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
      this.#buckets.delete(clientIp); // most recently used last, for trimOldest
    }
    this.#buckets.set(clientIp, b);
    trimOldest(this.#buckets, GATE_CLIENTS);
    return b;
  }
}
