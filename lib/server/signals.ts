/**
 * What each signal does: one table, read by the server to install its handlers and by a test
 * that checks the README's table says the same. nginx's meaning is kept wherever it fits, so an
 * administrator's habits work.
 * @module
 */

/** What the server does on a signal. */
export type SignalAction = "stop" | "reload" | "reopen-logs" | "ignore";

/** One row of the table. */
export interface SignalRow {
  readonly signal: Deno.Signal;
  /** As a service (stdin is not a terminal). */
  readonly service: SignalAction;
  /** Started from a terminal. */
  readonly terminal: SignalAction;
  /** What nginx does with it. */
  readonly nginx: string;
}

/** Every signal the server handles. SIGKILL cannot be handled (see the README). */
export const SIGNALS: readonly SignalRow[] = [
  { signal: "SIGTERM", service: "stop", terminal: "stop", nginx: "fast shutdown" },
  { signal: "SIGINT", service: "stop", terminal: "stop", nginx: "fast shutdown" },
  { signal: "SIGQUIT", service: "stop", terminal: "stop", nginx: "graceful shutdown" },
  // A hang-up ends a program started from a terminal (the terminal closed); a service has no
  // terminal, and nginx reloads on it.
  { signal: "SIGHUP", service: "reload", terminal: "stop", nginx: "reload configuration" },
  { signal: "SIGUSR1", service: "reopen-logs", terminal: "reopen-logs", nginx: "reopen logs" },
  // nginx starts a new binary beside the old one; here `systemctl restart` runs a new binary
  // and SIGHUP applies a new http.conf without dropping a connection. By default the signal
  // would kill the process with no shutdown line; it is logged and ignored instead.
  { signal: "SIGUSR2", service: "ignore", terminal: "ignore", nginx: "upgrade the binary" },
];

/** The action for a signal. */
export function signalAction(signal: Deno.Signal, terminal: boolean): SignalAction {
  const row = SIGNALS.find((r) => r.signal === signal);
  if (row === undefined) return "ignore";
  return terminal ? row.terminal : row.service;
}

/**
 * Call `on` for every signal in the table, with its action.
 * @returns a function that removes the handlers
 */
export function listenForSignals(
  terminal: boolean,
  on: (signal: Deno.Signal, action: SignalAction) => void,
): () => void {
  const handlers = SIGNALS.map((r) => {
    const h = () => on(r.signal, signalAction(r.signal, terminal));
    Deno.addSignalListener(r.signal, h);
    return [r.signal, h] as const;
  });
  return () => {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  };
}
