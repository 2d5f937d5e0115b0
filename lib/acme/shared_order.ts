/**
 * One order for several instances (the cluster path of manager.ts): an instance that needs a
 * certificate first takes one another instance published, else takes the order lock and orders
 * (publishing the result), else waits for the lock holder's certificate.
 *
 * ```
 *   published and better? ─yes─> take it
 *        └no─> lock ─taken─> published meanwhile? ─no─> order, publish, unlock
 *                └held by another─> poll every CLUSTER_POLL_MS: published? take it;
 *                                   lock gone with nothing published? a failure
 * ```
 * With memcached unreachable the instance orders on its own (two may order while it is away).
 * @module
 */

import type { Cluster } from "./cluster.ts";
import type { CertificateFacts } from "./schedule.ts";
import type { CertificatePair } from "./storage.ts";
import { oneLine } from "./words.ts";

/** How often a waiting instance looks for the certificate another one is ordering. */
export const CLUSTER_POLL_MS = 2000;

/** A certificate an attempt got. */
export interface Obtained {
  readonly pair: CertificatePair;
  readonly facts: CertificateFacts;
  /** "ordered" (by this instance) or "cluster" (by another one). */
  readonly source: "ordered" | "cluster";
  /** Said at the end of the success line ("" or "; ..."). */
  readonly note: string;
}

/** What the shared path needs from the manager. */
export interface SharedOrder {
  readonly cluster: Cluster;
  /** Order from the CA; `note` ends the success line. */
  order(note: string): Promise<Obtained>;
  /** Names and validity of a chain's leaf (throws when it does not parse). */
  inspect(pem: string): CertificateFacts;
  /** Whether a published certificate should replace the one held. */
  better(facts: CertificateFacts): boolean;
  /** Another instance holds the lock: the manager says so. */
  waiting(): void;
  sleep(ms: number): Promise<void>;
  /** False once the attempt is over (deadline passed, manager stopped). */
  going(): boolean;
  readonly pollMs: number;
}

/** Get a certificate with the other instances (see the module doc). */
export async function obtainShared(s: SharedOrder): Promise<Obtained> {
  const c = s.cluster;
  let mine: boolean;
  try {
    const published = await takePublished(s);
    if (published !== null) return published;
    mine = await c.lock();
  } catch (e) {
    return await s.order(
      `; memcached unreachable (${oneLine(e)}): ordered without the cluster lock`,
    );
  }
  if (!mine) return await awaitHolder(s);
  try {
    const published = await takePublished(s); // finished while we took the lock
    if (published !== null) return published;
    const ordered = await s.order("");
    try {
      await c.publish(ordered.pair, ordered.facts.notAfterMs);
      return ordered;
    } catch (e) {
      return { ...ordered, note: `; not shared with the other instances (${oneLine(e)})` };
    }
  } finally {
    await c.unlock().catch(() => {});
  }
}

/** The certificate another instance published, when it is better than ours. */
async function takePublished(s: SharedOrder): Promise<Obtained | null> {
  const pair = await s.cluster.certificate();
  if (pair === null) return null;
  let facts: CertificateFacts;
  try {
    facts = s.inspect(pair.cert);
  } catch {
    return null;
  }
  return s.better(facts) ? { pair, facts, source: "cluster", note: "" } : null;
}

/** Another instance holds the lock: wait for its certificate, or for the lock to go. */
async function awaitHolder(s: SharedOrder): Promise<Obtained> {
  s.waiting();
  while (s.going()) {
    await s.sleep(s.pollMs);
    const published = await takePublished(s);
    if (published !== null) return published;
    if (!(await s.cluster.locked())) {
      const last = await takePublished(s);
      if (last !== null) return last;
      throw new Error(
        "the instance that held the order lock published no certificate (see its error.log)",
      );
    }
  }
  throw new Error("gave up waiting for another instance's certificate");
}
