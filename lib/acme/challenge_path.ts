/**
 * Where an ACME CA fetches an HTTP-01 challenge (RFC 8555 §8.3): the token in the request path,
 * and the shared-store key that holds its answer (pure).
 * @module
 */

/** The path prefix of HTTP-01 challenges (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** A token: base64url (RFC 8555 §8.1), at least 128 bits; bounded so a key stays short. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The token a request target asks for, or null when it is not a challenge URL. The CA sends the
 * path exactly as given (no query, no escapes), so anything else is not a challenge.
 * @example challengeToken("/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"); // "LoqX..."
 */
export function challengeToken(target: string): string | null {
  if (!target.startsWith(ACME_CHALLENGE_PREFIX)) return null;
  const token = target.slice(ACME_CHALLENGE_PREFIX.length);
  return TOKEN.test(token) ? token : null;
}

/** Whether a token has the form a CA issues (the manager refuses to publish anything else). */
export function isToken(token: string): boolean {
  return TOKEN.test(token);
}

/** The shared-store key (memcached, under the store's own prefix) of a token's answer. */
export function challengeKey(token: string): string {
  return `acme:t:${token}`;
}
