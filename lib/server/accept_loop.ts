/**
 * A worker's accept loop over one listener (plain TCP or TLS): accept until the listener is
 * closed (shutdown, or a certificate swap that replaced it), handing each connection on.
 * @module
 */

import type { LoopClock } from "../util/loop_clock.ts";
import { acceptStep } from "./accept_errors.ts";

/** What the loop needs of its worker. */
export interface AcceptHost {
  readonly clock: LoopClock;
  /** The server is shutting down. */
  draining(): boolean;
  error(level: "debug" | "info" | "error", message: string): void;
}

/**
 * Accept until the listener is closed. A failed accept must not end the loop (the worker
 * would stay alive with nobody accepting): a client gone before it was taken is skipped at
 * once, other failures (out of descriptors) pause briefly (see accept_errors.ts). Each kind is
 * logged at most once a second, with how many happened since the last line.
 */
export async function acceptLoop<C extends Deno.Conn>(
  l: Deno.Listener<C>,
  onConn: (c: C) => void,
  h: AcceptHost,
): Promise<void> {
  const clock = h.clock;
  let failures = 0;
  let failedAt = 0;
  // Clients gone before accept: counted, and reported once a second at most; a count left over
  // is reported by the first accept a second later, so a storm's size is never lost.
  let gone = 0;
  let goneAt = -Infinity;
  let goneWhy = "";
  const reportGone = (now: number) => {
    h.error("info", `${gone} connection(s) gone before they were accepted: ${goneWhy}`);
    goneAt = now;
    gone = 0;
  };
  for (;;) {
    let conn: C;
    try {
      conn = await l.accept();
      failures = 0;
      if (gone > 0 && clock.now() - goneAt >= 1000) reportGone(clock.now());
    } catch (e) {
      const step = acceptStep(e, failures + 1, h.draining());
      if (step.kind === "stop") return;
      const now = clock.refresh();
      const why = e instanceof Error ? e.message : String(e);
      if (step.kind === "next") {
        gone++;
        goneWhy = why;
        if (now - goneAt >= 1000) reportGone(now);
        continue;
      }
      failures++; // the worker's own failure: clients gone do not count
      if (now - failedAt >= 1000) {
        failedAt = now;
        h.error("error", `accept failed (${failures} in a row): ${why}`);
      }
      if (step.ms > 0) await new Promise((r) => setTimeout(r, step.ms));
      continue;
    }
    try {
      onConn(conn);
    } catch (e) { // the client may already be gone
      h.error("debug", `connection dropped at accept: ${e instanceof Error ? e.message : e}`);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
}
