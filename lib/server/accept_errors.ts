/**
 * What a worker's accept loop does when `accept()` fails (pure).
 *
 * A connection the client reset or abandoned before the worker took it concerns that connection
 * alone: Linux still hands it out, and Deno's accept fails when it asks the dead socket for its
 * peer address (NotConnected, ENOTCONN), or the kernel reports ECONNABORTED. The next connection
 * is accepted at once, as nginx does. These used to count as failures in a row with a growing
 * pause: 300 connections reset by one client stalled a worker's accepting for 15 s.
 *
 * Anything else (EMFILE, ENFILE: out of descriptors) pauses a little longer each time in a row,
 * so a worker out of descriptors does not spin while the backlog waits. A closed listener ends
 * the loop (shutdown).
 * @module
 */

/** The loop's next step after a failed accept. */
export type AcceptStep =
  /** The listener was closed: stop accepting. */
  | { readonly kind: "stop" }
  /** The client left before it was accepted: take the next connection now. */
  | { readonly kind: "next" }
  /** A failure of the worker (descriptors, memory): try again after `ms` (0: at once). */
  | { readonly kind: "retry"; readonly ms: number };

/** Longest pause between accepts that keep failing. */
export const MAX_RETRY_MS = 100;

/**
 * Whether an accept error means only that this one client is gone.
 * @param e what `accept()` threw
 */
export function clientGone(e: unknown): boolean {
  return e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.ConnectionReset;
}

/**
 * The step after a failed accept.
 * @param e what `accept()` threw
 * @param inRow failures of the worker in a row, this one included (client departures do not
 *   count)
 * @param draining the server is shutting down
 * @example
 * acceptStep(new Deno.errors.NotConnected("reset"), 0, false); // { kind: "next" }
 */
export function acceptStep(e: unknown, inRow: number, draining: boolean): AcceptStep {
  if (draining || e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
    return { kind: "stop" };
  }
  if (clientGone(e)) return { kind: "next" };
  return { kind: "retry", ms: inRow > 1 ? Math.min(MAX_RETRY_MS, inRow * 5) : 0 };
}
