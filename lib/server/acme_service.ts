/**
 * Automatic certificates as the main thread runs them (ACME On): ACMEStorage made ready, the
 * account key loaded or made, the CA client (acme-client, loaded only when ACME is On), the
 * cluster over Memcached when there is one, and the manager that keeps the certificate.
 * @module
 */

import type { Config } from "../config/config.ts";
import { AcmeCluster } from "../acme/cluster.ts";
import { type AcmeLogLevel, AcmeManager } from "../acme/manager.ts";
import { AcmeStorage, readCaBundle } from "../acme/storage.ts";
import type { AcmeView } from "../pages/status_page.ts";
import { MemcachedStore } from "../session/memcached_store.ts";
import type { ChallengeFanout } from "./acme_fanout.ts";
import { formatHostPort } from "./listener.ts";

/** A setting that keeps ACME from starting, with the key to blame. */
export class AcmeSetupError extends Error {
  override name = "AcmeSetupError";
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/** What the running service needs from main. */
export interface AcmeServiceOptions {
  readonly config: Config;
  /** The plain-HTTP port, resolved (Listen may say 0). */
  readonly port: number;
  /** The session secret (shared by the instances of a cluster). */
  readonly secret: string;
  /** Where challenge tokens go (the workers). */
  readonly fanout: ChallengeFanout;
  readonly log: (level: AcmeLogLevel, message: string) => void;
  /** New certificate files are in ACMEStorage: HTTPS must read them now. */
  readonly certificateWritten: () => void;
}

/** The running service. */
export interface AcmeService {
  readonly manager: AcmeManager;
  /** Stop renewing and close the memcached connection. */
  close(): void;
}

/** Memcached waits of a background job may be longer than a request's (MemcachedTimeout). */
const CLUSTER_TIMEOUT_MS = 2000;
/** The cluster lock outlives an attempt (ACMETimeout) by this much. */
const LOCK_MARGIN_S = 60;

/** The status page's view while the ACME client loads (the first second after start). */
export function startingView(c: Config): AcmeView {
  return {
    domains: c.acmeDomains,
    ca: new URL(c.acmeDirectory).host,
    state: "starting",
    certificate: null,
    failures: 0,
    failuresTotal: 0,
    ordersTotal: 0,
    lastError: "",
    nextAttemptMs: 0,
  };
}

/** ACMEStorage and ACMECA, checked before the server starts. */
export interface AcmeSetup {
  readonly storage: AcmeStorage;
  /** ACMECA's PEM text ("" when unset). */
  readonly extraCa: string;
}

/**
 * Make ACMEStorage ready and read ACMECA: what can stop start-up, checked before it.
 * @throws AcmeSetupError naming the key at fault
 */
export function checkAcme(c: Config): AcmeSetup {
  const storage = new AcmeStorage(c.acmeStorage);
  const problem = storage.prepare();
  if (problem !== null) throw new AcmeSetupError("ACMEStorage", problem);
  try {
    return { storage, extraCa: readCaBundle(c.acmeCa) };
  } catch (e) {
    throw new AcmeSetupError("ACMECA", why(e));
  }
}

/**
 * Load the ACME client (acme-client and its dependencies load only here), the account key (made
 * on first use), the cluster over Memcached when there is one, and start the manager: the
 * first attempt runs now when a certificate is due. Called once plain HTTP serves.
 * @throws Error when the account key cannot be made or kept
 */
export async function startAcme(setup: AcmeSetup, o: AcmeServiceOptions): Promise<AcmeService> {
  const c = o.config;
  const { acmeClientCa, createAccountKey, readCertificate } = await import(
    "../acme/acme_client.ts"
  );
  let accountKey = setup.storage.readAccountKey();
  if (accountKey === null) {
    accountKey = await createAccountKey();
    setup.storage.writeAccountKey(accountKey);
  }
  const ca = acmeClientCa({
    directory: c.acmeDirectory,
    extraCa: setup.extraCa,
    email: c.acmeEmail,
    accountKey,
    debug: (line) => o.log("debug", `acme-client: ${line}`),
  });
  const memcached = c.memcached.length === 0 ? null : new MemcachedStore({
    servers: c.memcached,
    timeoutMs: Math.max(c.memcachedTimeoutMs, CLUSTER_TIMEOUT_MS),
  });
  const cluster = memcached === null ? null : new AcmeCluster({
    store: memcached,
    domains: c.acmeDomains,
    secret: o.secret,
    owner: `${hostname()} pid ${Deno.pid}`,
    lockTtlS: Math.ceil(c.acmeTimeoutMs / 1000) + LOCK_MARGIN_S,
  });
  if (o.port !== 80) {
    o.log(
      "notice",
      `the CA validates HTTP-01 challenges on port 80 of ${c.acmeDomains.join(", ")}; this ` +
        `server listens on ${formatHostPort(c.listen.host, o.port)}, so port 80 must ` +
        `reach it (a port forward or a load balancer)`,
    );
  }
  const manager = new AcmeManager({
    domains: c.acmeDomains,
    retryMs: c.acmeRetryMs,
    retryMaxMs: c.acmeRetryMaxMs,
    timeoutMs: c.acmeTimeoutMs,
    ca,
    store: setup.storage,
    inspect: readCertificate,
    cluster,
    workers: o.fanout,
    log: o.log,
    certificateWritten: o.certificateWritten,
  });
  manager.start();
  return {
    manager,
    close() {
      manager.stop();
      memcached?.close();
    },
  };
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
