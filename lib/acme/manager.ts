/**
 * Automatic certificates, run by the main thread (one ACME client per instance): keep a
 * certificate for ACMEDomains in ACMEStorage, order one when there is none, renew it when a
 * third of its lifetime remains, and retry a failure with a doubling wait.
 *
 * ```
 *   start ─ files valid? ─yes─> valid ── renewal due ──┐
 *             └no──────────────────────────────────────┴─> ordering ─ok─> write files,
 *                                                            │           certificateWritten()
 *                                                            └fail─> failing (one error.log
 *                                                                    line) ─ wait ─> ordering
 * ```
 * With a cluster (Memcached), "ordering" goes through shared_order.ts: take a certificate
 * another instance published, or take the order lock and order, or wait for the holder's
 * certificate instead of ordering ("waiting").
 *
 * Plain HTTP serves throughout: nothing here blocks start-up or a request. The challenge tokens
 * reach the workers through `workers.present()`, which resolves once every worker can answer.
 * @module
 */

import type { AcmeCertificateView, AcmeView } from "../pages/status_page.ts";
import type { CertificateAuthority } from "./acme_client.ts";
import { isToken } from "./challenge_path.ts";
import type { Cluster } from "./cluster.ts";
import {
  type CertificateFacts,
  covers,
  isBetter,
  isDue,
  renewAtMs,
  retryDelayMs,
} from "./schedule.ts";
import { CLUSTER_POLL_MS, type Obtained, obtainShared } from "./shared_order.ts";
import type { PairStore } from "./storage.ts";
import { iso, oneLine, waitText } from "./words.ts";

export { CLUSTER_POLL_MS };

/** Timers the manager waits with: injected so tests drive time. */
export interface Timers {
  start(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  start: (fn, ms) => setTimeout(fn, ms),
  cancel: (h) => clearTimeout(h as ReturnType<typeof setTimeout> | undefined),
};

/** setTimeout's longest wait is 2^31-1 ms (24.8 days): longer sleeps are taken in steps. */
const LONGEST_SLEEP_MS = 24 * 3600 * 1000;
/** Levels of the manager's error.log lines. */
export type AcmeLogLevel = "debug" | "info" | "notice" | "warn" | "error";

/** Where the manager's challenges go on this instance (its workers). */
export interface ChallengeTargets {
  /** Answer `token` from now on; resolves once every worker can. */
  present(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): void;
}

/** What the manager works with. */
export interface ManagerOptions {
  /** ACMEDomains. */
  readonly domains: readonly string[];
  readonly retryMs: number;
  readonly retryMaxMs: number;
  /** ACMETimeout: bound on one attempt (ordering, or waiting for another instance). */
  readonly timeoutMs: number;
  readonly ca: CertificateAuthority;
  readonly store: PairStore;
  /** Names and validity of a chain's leaf (throws when it does not parse). */
  readonly inspect: (pem: string) => CertificateFacts;
  /** The other instances (Memcached), or null when this one is alone. */
  readonly cluster: Cluster | null;
  readonly workers: ChallengeTargets;
  readonly log: (level: AcmeLogLevel, message: string) => void;
  /** New certificate files were written: HTTPS must read them now. */
  readonly certificateWritten: () => void;
  readonly now?: () => number;
  readonly timers?: Timers;
  /** Default CLUSTER_POLL_MS. */
  readonly pollMs?: number;
}

interface Held {
  readonly facts: CertificateFacts;
  readonly source: "files" | Obtained["source"];
}

/** Keeps the certificate for ACMEDomains valid. */
export class AcmeManager {
  readonly #o: ManagerOptions;
  readonly #now: () => number;
  readonly #timers: Timers;
  #current: Held | null = null;
  #state = "starting";
  #failures = 0;
  #failuresTotal = 0;
  #ordersTotal = 0;
  #lastError = "";
  #nextMs = 0;
  #timer: unknown;
  #running = false;
  #stopped = false;

  constructor(o: ManagerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#timers = o.timers ?? REAL_TIMERS;
  }

  /** Read the certificate in storage and plan the first attempt (now, when one is due). */
  start(): void {
    const held = this.#readStored();
    this.#current = held;
    const names = this.#o.domains.join(", ");
    if (held !== null && !covers(held.facts, this.#o.domains)) {
      this.#log(
        "notice",
        `the certificate in ACMEStorage is for ${held.facts.names.join(", ")}, ` +
          `not for all of ${names}: ordering one`,
      );
    } else if (held !== null) {
      this.#state = "valid";
      this.#log(
        "info",
        `certificate for ${names} valid until ${iso(held.facts.notAfterMs)}, ` +
          `renewal from ${iso(renewAtMs(held.facts))}`,
      );
    }
    this.#schedule(
      isDue(held?.facts ?? null, this.#o.domains, this.#now())
        ? this.#now()
        : renewAtMs(held!.facts),
    );
  }

  /** Stop planning attempts (one under way finishes, but installs nothing). */
  stop(): void {
    this.#stopped = true;
    this.#timers.cancel(this.#timer);
  }

  /** The status page's view. */
  view(): AcmeView {
    const c = this.#current;
    const certificate: AcmeCertificateView | null = c === null ? null : {
      names: c.facts.names,
      issuer: c.facts.issuer,
      notBeforeMs: c.facts.notBeforeMs,
      notAfterMs: c.facts.notAfterMs,
      renewAtMs: renewAtMs(c.facts),
      source: c.source,
    };
    return {
      domains: this.#o.domains,
      ca: this.#o.ca.name,
      state: this.#state,
      certificate,
      failures: this.#failures,
      failuresTotal: this.#failuresTotal,
      ordersTotal: this.#ordersTotal,
      lastError: this.#lastError,
      nextAttemptMs: this.#running ? 0 : this.#nextMs,
    };
  }

  #readStored(): Held | null {
    try {
      const pair = this.#o.store.readPair();
      return pair === null ? null : { facts: this.#o.inspect(pair.cert), source: "files" };
    } catch (e) {
      this.#log("warn", `cannot use the certificate in ACMEStorage (${oneLine(e)}): ordering one`);
      return null;
    }
  }

  #schedule(atMs: number): void {
    this.#timers.cancel(this.#timer);
    if (this.#stopped) return;
    this.#nextMs = atMs;
    const wait = Math.min(Math.max(0, atMs - this.#now()), LONGEST_SLEEP_MS);
    this.#timer = this.#timers.start(() => this.#wake(), wait);
  }

  #wake(): void {
    if (this.#stopped || this.#running) return;
    if (this.#now() < this.#nextMs) return this.#schedule(this.#nextMs); // a long sleep's step
    void this.#attempt();
  }

  async #attempt(): Promise<void> {
    const held = this.#current?.facts ?? null;
    if (!isDue(held, this.#o.domains, this.#now())) return this.#schedule(renewAtMs(held!));
    this.#running = true;
    this.#state = "ordering";
    const deadline = this.#now() + this.#o.timeoutMs;
    let got: Obtained;
    try {
      got = await this.#bounded(this.#obtain(deadline), deadline);
    } catch (e) {
      this.#running = false;
      if (!this.#stopped) this.#failed(e);
      return;
    }
    this.#running = false;
    if (!this.#stopped) this.#install(got);
  }

  /** `p`, or a failure when the deadline passes first. */
  #bounded<T>(p: Promise<T>, deadline: number): Promise<T> {
    let timer: unknown;
    const late = new Promise<never>((_, reject) => {
      const ms = Math.max(0, deadline - this.#now());
      timer = this.#timers.start(
        () => reject(new Error(`no certificate within ACMETimeout (${ms} ms)`)),
        ms,
      );
    });
    return Promise.race([p, late]).finally(() => this.#timers.cancel(timer));
  }

  #obtain(deadline: number): Promise<Obtained> {
    const cluster = this.#o.cluster;
    if (cluster === null) return this.#order("");
    const names = this.#o.domains.join(", ");
    return obtainShared({
      cluster,
      order: (note) => this.#order(note),
      inspect: this.#o.inspect,
      better: (f) => isBetter(f, this.#current?.facts ?? null, this.#o.domains, this.#now()),
      waiting: () => {
        this.#state = "waiting";
        this.#log("info", `another instance is ordering the certificate for ${names}: waiting`);
      },
      sleep: (ms) => new Promise((r) => this.#timers.start(() => r(), ms)),
      going: () => !this.#stopped && this.#now() < deadline,
      pollMs: this.#o.pollMs ?? CLUSTER_POLL_MS,
    });
  }

  async #order(note: string): Promise<Obtained> {
    const pair = await this.#o.ca.order(this.#o.domains, {
      present: (token, ka) => this.#present(token, ka),
      withdraw: (token) => this.#withdraw(token),
    });
    const facts = this.#o.inspect(pair.cert);
    this.#ordersTotal++;
    if (!covers(facts, this.#o.domains)) {
      throw new Error(`the CA issued a certificate for ${facts.names.join(", ")} only`);
    }
    return { pair, facts, source: "ordered", note };
  }

  async #present(token: string, keyAuthorization: string): Promise<void> {
    if (!isToken(token)) throw new Error(`the CA sent a token that is not base64url`);
    await Promise.all([
      this.#o.workers.present(token, keyAuthorization),
      this.#share(token, keyAuthorization),
    ]);
  }

  /** Put a token in the cluster; when memcached is away, only this instance answers it. */
  async #share(token: string, keyAuthorization: string): Promise<void> {
    try {
      await this.#o.cluster?.putToken(token, keyAuthorization);
    } catch (e) {
      this.#log(
        "warn",
        `cannot share a challenge through memcached (${oneLine(e)}): only ` +
          `this instance can answer it`,
      );
    }
  }

  async #withdraw(token: string): Promise<void> {
    this.#o.workers.withdraw(token);
    try {
      await this.#o.cluster?.dropToken(token);
    } catch { /* it expires with the lock */ }
  }

  #install(got: Obtained): void {
    try {
      this.#o.store.writePair(got.pair);
    } catch (e) {
      return this.#failed(new Error(`cannot write the certificate to ACMEStorage: ${oneLine(e)}`));
    }
    this.#current = { facts: got.facts, source: got.source };
    this.#failures = 0;
    this.#lastError = "";
    this.#state = "valid";
    const how = got.source === "cluster"
      ? "taken from memcached (another instance ordered it)"
      : `obtained from ${this.#o.ca.name}`;
    this.#log(
      "notice",
      `certificate for ${got.facts.names.join(", ")} ${how}: valid until ` +
        `${iso(got.facts.notAfterMs)}, renewal from ${iso(renewAtMs(got.facts))}${got.note}`,
    );
    this.#o.certificateWritten();
    this.#schedule(renewAtMs(got.facts));
  }

  #failed(e: unknown): void {
    this.#failures++;
    this.#failuresTotal++;
    this.#lastError = oneLine(e);
    this.#state = "failing";
    const wait = retryDelayMs(this.#failures, this.#o.retryMs, this.#o.retryMaxMs);
    const held = this.#current?.facts;
    const keep = held !== undefined && held.notAfterMs > this.#now()
      ? `HTTPS keeps the current certificate (valid until ${iso(held.notAfterMs)})`
      : "plain HTTP keeps serving";
    this.#log(
      "error",
      `cannot obtain a certificate for ${this.#o.domains.join(", ")} from ` +
        `${this.#o.ca.name} (attempt ${this.#failures}): ${this.#lastError}; ${keep}; next ` +
        `attempt in ${waitText(wait)}`,
    );
    this.#schedule(this.#now() + wait);
  }

  #log(level: AcmeLogLevel, message: string): void {
    this.#o.log(level, message);
  }
}
