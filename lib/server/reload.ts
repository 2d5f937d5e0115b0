/**
 * The decisions of a reload, as pure functions (lifecycle.ts carries them out): which port the
 * new generation listens on, which session key it signs with, and the error.log line of a
 * reload that was refused.
 * @module
 */

import { ConfigError, type HostPort } from "../config/config.ts";

/**
 * The port of the new generation, or null when the new address must be checked free first.
 * An unchanged Listen keeps the running port (also when it says 0: the port chosen at start).
 * A changed Listen on the same port (another host) is taken as it is: checking it free would
 * collide with the running generation's own sockets.
 */
export function reloadPort(before: HostPort, after: HostPort, running: number): number | null {
  if (before.host === after.host && before.port === after.port) return running;
  if (after.port !== 0 && after.port === running) return after.port;
  return null;
}

/** A session key: configured, or made up at start. */
export interface KeySource {
  readonly key: string;
  readonly generated: boolean;
}

/**
 * The key the new generation signs session cookies with: the configured one, but a key made up
 * at start lives as long as the process (a reload must not end every session).
 */
export function carrySessionKey(running: KeySource, loaded: KeySource): KeySource {
  return running.generated && loaded.generated ? running : loaded;
}

/**
 * The error.log line of a refused reload. A config error names the file (its whole path; the
 * error's own message has only its name), the line and the key.
 */
export function reloadFailure(file: string, e: unknown): string {
  let what = `${file}: ${e instanceof Error ? e.message : String(e)}`;
  if (e instanceof ConfigError) {
    const detail = e.message.slice(e.message.indexOf(": ") + 2); // after "http.conf:12: "
    what = `${e.file ?? file}${e.line === null ? "" : `:${e.line}`}: ${detail}`;
  }
  return `reload failed, still serving with the previous configuration: ${what}`;
}
