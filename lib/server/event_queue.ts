/**
 * What the main thread acts on, one at a time: signals, and a worker found stuck. A stop goes
 * before anything queued; reloads asked for while one is queued or running make one reload.
 * @module
 */

import type { SignalAction } from "./signals.ts";

/** A signal, or a stop the server decided itself (signal null: a stuck worker). */
export interface Event {
  readonly action: SignalAction;
  readonly signal: Deno.Signal | null;
}

/** Events in the order they are acted on. */
export class EventQueue {
  readonly #q: Event[] = [];
  #wake = () => {};

  push(e: Event): void {
    this.#q.push(e);
    this.#wake();
  }

  /** The next event to act on (waits for one). */
  async next(): Promise<Event> {
    while (this.#q.length === 0) await new Promise<void>((r) => (this.#wake = r));
    const stop = this.#q.findIndex((e) => e.action === "stop");
    const [e] = this.#q.splice(stop >= 0 ? stop : 0, 1);
    if (e!.action === "reload") {
      for (let i = this.#q.length - 1; i >= 0; i--) {
        if (this.#q[i]!.action === "reload") this.#q.splice(i, 1);
      }
    }
    return e!;
  }
}
