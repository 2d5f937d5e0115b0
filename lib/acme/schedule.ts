/**
 * When to order a certificate, and how long to wait after a failure (pure).
 *
 * A certificate is renewed once a third of its lifetime remains (Let's Encrypt's advice and
 * Caddy's default: day 60 of 90), ordered at once when there is none or it lacks a configured
 * name, and an attempt that fails is retried after `ACMERetry`, doubled after each further
 * failure up to `ACMERetryMax`.
 * @module
 */

/** What the manager needs to know of a certificate (its leaf). */
export interface CertificateFacts {
  /** The DNS names it is valid for (subjectAltName, else the CN), lower case. */
  readonly names: readonly string[];
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** The issuer's common name, for the status page. */
  readonly issuer: string;
}

/**
 * When renewal is due: a third of the lifetime before expiry.
 * @example renewAtMs({ names: [], notBeforeMs: 0, notAfterMs: 90, issuer: "" }); // 60
 */
export function renewAtMs(f: CertificateFacts): number {
  return f.notAfterMs - Math.max(0, f.notAfterMs - f.notBeforeMs) / 3;
}

/** Whether a certificate is valid for every configured name. */
export function covers(f: CertificateFacts, domains: readonly string[]): boolean {
  const names = new Set(f.names.map((n) => n.toLowerCase()));
  return domains.every((d) => names.has(d));
}

/** Whether a certificate must be ordered now (none, a name missing, or renewal due). */
export function isDue(
  f: CertificateFacts | null,
  domains: readonly string[],
  nowMs: number,
): boolean {
  return f === null || !covers(f, domains) || nowMs >= renewAtMs(f);
}

/**
 * Whether `candidate` (e.g. one another instance ordered) should replace `current`: it covers
 * the names, is not itself due, and expires later.
 */
export function isBetter(
  candidate: CertificateFacts,
  current: CertificateFacts | null,
  domains: readonly string[],
  nowMs: number,
): boolean {
  if (isDue(candidate, domains, nowMs)) return false;
  return current === null || !covers(current, domains) || candidate.notAfterMs > current.notAfterMs;
}

/**
 * The wait before the next attempt after `failures` failures in a row (1 = the first).
 * @example retryDelayMs(3, 600_000, 43_200_000); // 2_400_000 (10 min, 20 min, then 40 min)
 */
export function retryDelayMs(failures: number, retryMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(0, failures - 1), 40);
  return Math.min(maxMs, retryMs * 2 ** doublings);
}
