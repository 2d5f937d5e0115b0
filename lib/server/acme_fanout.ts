/**
 * The main thread's side of challenge answers: the ACME client's tokens go to every worker, and
 * a token counts as presented once each worker said it can answer it (the CA may connect the
 * moment it is told to validate, to any worker). A worker started later (a replacement) gets
 * the tokens in its start message.
 * @module
 */

import type { FromWorker, ToWorker } from "./messages.ts";

/** How long `present` waits for the workers' acknowledgements (a dying worker never sends one). */
export const ACK_TIMEOUT_MS = 2000;

/** What the fan-out needs of the worker pool. */
export interface FanoutOptions {
  /** The ids of the workers serving now (they change with reloads and replacements). */
  ids(): readonly number[];
  /** Post to one worker; false when it is not running. */
  send(id: number, m: ToWorker): boolean;
  /** Default ACK_TIMEOUT_MS. */
  readonly ackTimeoutMs?: number;
}

/** Tokens to the workers, with acknowledgements. */
export class ChallengeFanout {
  readonly #o: FanoutOptions;
  readonly #tokens = new Map<string, string>();
  readonly #waiting = new Map<number, { ids: Set<number>; done: () => void }>();
  #seq = 0;

  constructor(o: FanoutOptions) {
    this.#o = o;
  }

  /** The tokens being answered now (a new worker's start message). */
  get tokens(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.#tokens);
  }

  /** Make every worker answer `token`; resolves when all running workers acknowledged it. */
  present(token: string, keyAuthorization: string): Promise<void> {
    this.#tokens.set(token, keyAuthorization);
    return this.#broadcast(token, keyAuthorization);
  }

  /** Stop answering `token`. */
  withdraw(token: string): void {
    this.#tokens.delete(token);
    void this.#broadcast(token, null);
  }

  /** A worker's acknowledgement. */
  onMessage(m: FromWorker): void {
    if (m.type !== "acme-challenge-ack") return;
    const w = this.#waiting.get(m.seq);
    if (w === undefined) return;
    w.ids.delete(m.id);
    if (w.ids.size === 0) w.done();
  }

  #broadcast(token: string, keyAuthorization: string | null): Promise<void> {
    const seq = ++this.#seq;
    const ids = new Set<number>();
    for (const id of this.#o.ids()) {
      if (this.#o.send(id, { type: "acme-challenge", seq, token, keyAuthorization })) ids.add(id);
    }
    if (ids.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), this.#o.ackTimeoutMs ?? ACK_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(seq);
        resolve();
      };
      this.#waiting.set(seq, { ids, done });
    });
  }
}
