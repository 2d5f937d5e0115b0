/**
 * Several instances with one certificate, through the memcached they share (Memcached):
 *
 * ```
 *   hs:acme:l:<set>    the order lock: "add" succeeds for one instance only; expires after
 *                      ACMETimeout + a minute, so a crashed holder cannot block renewal
 *   hs:acme:t:<token>  a challenge's key authorization, sealed, so whichever instance the CA's
 *                      validation reaches can answer it (server/acme_challenge.ts)
 *   hs:acme:c:<set>    the issued chain and key, sealed: the others take it from here
 * ```
 * `<set>` names the set of domains (FNV-1a of the sorted names). One instance orders while the
 * others wait for the lock to go and then take the certificate; none of them orders again.
 *
 * Why memcached and not a shared folder: the instances already share it for sessions, and a
 * shared folder would need a network file system and file locks that work on it. memcached has
 * no access control, so what matters is sealed (sealed.ts) with the session secret every
 * instance of a cluster shares already: someone who can read memcached learns no private key,
 * and someone who can write it cannot make our servers answer a challenge of theirs (which would
 * get them a certificate for our names). The lock is not sealed: the worst a writer can do with
 * it is delay a renewal by one ACMETimeout.
 * @module
 */

import { fnv1a64Hex } from "../util/fnv.ts";
import { challengeKey } from "./challenge_path.ts";
import { Sealer } from "./sealed.ts";
import type { CertificatePair } from "./storage.ts";

/** The shared store's operations ACME uses (MemcachedStore; keys get its `hs:` prefix). */
export interface SharedValues {
  getValue(key: string): Promise<string | null>;
  /** Store; `ttlS` 0 = no expiry. */
  setValue(key: string, value: string, ttlS: number): Promise<void>;
  /** Store only if the key does not exist; false when it does. */
  addValue(key: string, value: string, ttlS: number): Promise<boolean>;
  deleteValue(key: string): Promise<void>;
}

/** What the manager asks of the cluster. */
export interface Cluster {
  /** Take the order lock; false when another instance holds it. */
  lock(): Promise<boolean>;
  /** Give the lock back (only if it is still ours). */
  unlock(): Promise<void>;
  /** Whether some instance holds the lock. */
  locked(): Promise<boolean>;
  /** Publish a challenge's answer for the other instances. */
  putToken(token: string, keyAuthorization: string): Promise<void>;
  dropToken(token: string): Promise<void>;
  /** The certificate another instance published, or null (none, or not readable with our key). */
  certificate(): Promise<CertificatePair | null>;
  /** Publish the certificate, to expire with it. */
  publish(p: CertificatePair, notAfterMs: number): Promise<void>;
}

const utf8 = new TextEncoder();

/** How to reach the cluster. */
export interface ClusterOptions {
  readonly store: SharedValues;
  readonly domains: readonly string[];
  /** The session secret every instance shares. */
  readonly secret: string;
  /** Who holds the lock (host, pid): for the holder's own check, and for people reading it. */
  readonly owner: string;
  /** The lock's life in seconds (ACMETimeout + margin). */
  readonly lockTtlS: number;
}

/** The cluster over a shared store. */
export class AcmeCluster implements Cluster {
  readonly #o: ClusterOptions;
  readonly #set: string;
  readonly #owner: string;
  readonly #sealer: Sealer;

  constructor(o: ClusterOptions) {
    this.#o = o;
    this.#set = fnv1a64Hex(utf8.encode([...o.domains].sort().join(",")));
    this.#owner = `${o.owner} ${crypto.randomUUID()}`;
    this.#sealer = new Sealer(o.secret);
  }

  async lock(): Promise<boolean> {
    return await this.#o.store.addValue(`acme:l:${this.#set}`, this.#owner, this.#o.lockTtlS);
  }

  async unlock(): Promise<void> {
    const key = `acme:l:${this.#set}`;
    // Another instance may hold it now if ours expired: leave that one alone.
    if ((await this.#o.store.getValue(key)) === this.#owner) await this.#o.store.deleteValue(key);
  }

  async locked(): Promise<boolean> {
    return (await this.#o.store.getValue(`acme:l:${this.#set}`)) !== null;
  }

  async putToken(token: string, keyAuthorization: string): Promise<void> {
    const sealed = await this.#sealer.seal(keyAuthorization, tokenContext(token));
    await this.#o.store.setValue(challengeKey(token), sealed, this.#o.lockTtlS);
  }

  async dropToken(token: string): Promise<void> {
    await this.#o.store.deleteValue(challengeKey(token));
  }

  async certificate(): Promise<CertificatePair | null> {
    const sealed = await this.#o.store.getValue(`acme:c:${this.#set}`);
    const text = sealed === null ? null : await this.#sealer.open(sealed, this.#context());
    if (text === null) return null; // none, or sealed under another secret or set
    try {
      const p = JSON.parse(text);
      return typeof p?.cert === "string" && typeof p?.key === "string"
        ? { cert: p.cert, key: p.key }
        : null;
    } catch {
      return null;
    }
  }

  async publish(p: CertificatePair, notAfterMs: number): Promise<void> {
    const sealed = await this.#sealer.seal(
      JSON.stringify({ cert: p.cert, key: p.key }),
      this.#context(),
    );
    // An absolute Unix time (memcached reads any expiry above 30 days as one).
    const expires = Math.max(Math.floor(notAfterMs / 1000), 30 * 24 * 3600 + 1);
    await this.#o.store.setValue(`acme:c:${this.#set}`, sealed, expires);
  }

  #context(): string {
    return `certificate ${this.#set}`;
  }
}

/** What a challenge answer is sealed for: its token. */
export function tokenContext(token: string): string {
  return `challenge ${token}`;
}

/**
 * How a worker reads a challenge answer another instance put in memcached: fetched, then
 * opened with the session secret (null when absent, or not sealed with that secret).
 * @param get the shared store's read (ResilientStore.getValue: bounded, never throws)
 */
export function sharedAnswers(
  get: (key: string) => Promise<string | null>,
  secret: string,
): (token: string) => Promise<string | null> {
  const sealer = new Sealer(secret);
  return async (token) => {
    const sealed = await get(challengeKey(token));
    return sealed === null ? null : await sealer.open(sealed, tokenContext(token));
  };
}
