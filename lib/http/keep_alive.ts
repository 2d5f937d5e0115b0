/**
 * Whether a connection stays open after a response (RFC 9112 §9.3).
 * @module
 */

import type { FieldList } from "./headers.ts";

/**
 * Statuses after which the connection is closed whatever the client asked: the request may not
 * have been read completely, so the next bytes cannot be trusted as a new request (nginx's
 * keep-alive switch-off list, plus 408/431 as Node does).
 */
export const CLOSING_STATUSES: ReadonlySet<number> = new Set([
  400,
  408,
  413,
  414,
  417,
  431,
  500,
  501,
  505,
]);

/**
 * Persistence requested by the client: HTTP/1.1 persists unless "close" is listed in
 * Connection; HTTP/1.0 persists only when "keep-alive" is listed, and never after a message
 * with Transfer-Encoding, which HTTP/1.0 does not define: RFC 9112 §6.1 requires closing after
 * it ("the sender might have retained a portion of the message"), whatever Connection says.
 */
export function clientWantsKeepAlive(versionMinor: number, headers: FieldList): boolean {
  if (headers.hasToken("connection", "close")) return false;
  if (versionMinor >= 1) return true;
  return headers.hasToken("connection", "keep-alive") &&
    headers.get("transfer-encoding") === undefined;
}
