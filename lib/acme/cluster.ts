/**
 * Several instances with one certificate, through the memcached they share (Memcached):
 *
 * ```
 *   hs:acme:l:<set>    the order lock: "add" succeeds for one instance only; expires after
 *                      ACMETimeout + a minute, so a crashed holder cannot block renewal
 *   hs:acme:t:<token>  a challenge's key authorization, so whichever instance the CA's
 *                      validation reaches can answer it (challenge_path.ts)
 *   hs:acme:c:<set>    the issued chain and key, encrypted: the others take it from here
 * ```
 * `<set>` names the set of domains (FNV-1a of the sorted names). One instance orders while the
 * others wait for the lock to go and then take the certificate; none of them orders again.
 *
 * Why memcached and not a shared folder: the instances already share it for sessions, and a
 * shared folder would need a network file system and file locks that work on it. memcached
 * has no access control, so the private key is sealed with AES-256-GCM under a key derived
 * (HKDF-SHA-256) from the session secret, which every instance of a cluster shares already
 * (SessionKey or SessionKeyFile); the set's key name is the additional data, so a sealed pair
 * cannot be replayed under another set. Anyone who can read memcached sees that a certificate
 * exists, never its key.
 * @module
 */

import { fnv1a64Hex } from "../util/fnv.ts";
import { challengeKey } from "./challenge_path.ts";
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
const SEALED = "v1.";

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
  #key: Promise<CryptoKey> | null = null;

  constructor(o: ClusterOptions) {
    this.#o = o;
    this.#set = fnv1a64Hex(utf8.encode([...o.domains].sort().join(",")));
    this.#owner = `${o.owner} ${crypto.randomUUID()}`;
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
    await this.#o.store.setValue(challengeKey(token), keyAuthorization, this.#o.lockTtlS);
  }

  async dropToken(token: string): Promise<void> {
    await this.#o.store.deleteValue(challengeKey(token));
  }

  async certificate(): Promise<CertificatePair | null> {
    const sealed = await this.#o.store.getValue(`acme:c:${this.#set}`);
    if (sealed === null || !sealed.startsWith(SEALED)) return null;
    const [iv, data] = sealed.slice(SEALED.length).split(".");
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: Uint8Array.fromBase64(iv ?? ""), additionalData: this.#aad() },
        await this.#cryptoKey(),
        Uint8Array.fromBase64(data ?? ""),
      );
      const p = JSON.parse(new TextDecoder().decode(plain));
      return typeof p?.cert === "string" && typeof p?.key === "string"
        ? { cert: p.cert, key: p.key }
        : null;
    } catch {
      return null; // sealed under another secret (a misconfigured instance), or damaged
    }
  }

  async publish(p: CertificatePair, notAfterMs: number): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: this.#aad() },
        await this.#cryptoKey(),
        utf8.encode(JSON.stringify({ cert: p.cert, key: p.key })),
      ),
    );
    // An absolute Unix time (memcached reads any expiry above 30 days as one).
    const expires = Math.max(Math.floor(notAfterMs / 1000), 30 * 24 * 3600 + 1);
    await this.#o.store.setValue(
      `acme:c:${this.#set}`,
      `${SEALED}${iv.toBase64()}.${data.toBase64()}`,
      expires,
    );
  }

  #aad(): Uint8Array<ArrayBuffer> {
    return utf8.encode(`httpserver acme certificate ${this.#set}`);
  }

  #cryptoKey(): Promise<CryptoKey> {
    this.#key ??= (async () => {
      const base = await crypto.subtle.importKey(
        "raw",
        utf8.encode(this.#o.secret),
        "HKDF",
        false,
        ["deriveKey"],
      );
      return await crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: utf8.encode("httpserver acme v1"),
          info: utf8.encode("certificate key in the shared store"),
        },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    return this.#key;
  }
}
