/**
 * The main thread's side of HTTPS: which certificate the workers serve, and when it changes.
 *
 * The two files (TLSCertificate, TLSKey) are read at start, then checked every
 * TLSReloadInterval (inode, size, mtime: cheap) and read again only when they changed; a
 * reload (SIGHUP) or an ACME client that just wrote them calls `recheck()` to read them now. A
 * new pair that parses and matches goes to every worker, which opens a listener with it and
 * closes the old one (tls_listener.ts): no connection is dropped. A pair that cannot be read, or
 * whose key does not match, keeps the old one in service with one error.log line. Renewal tools
 * write the two files one after the other, so a changed pair that does not match is read again
 * a second later before it is called broken.
 *
 * With TLSWaitForCertificate (or any setting whose certificate arrives later: see
 * `certificateMayBeAbsent`), start does not need the files: plain HTTP serves at once, and
 * HTTPS comes up when they appear, with its own line on stdout.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { CertificateView, HttpsView } from "../pages/status_page.ts";
import type { FromWorker } from "./messages.ts";
import {
  filesExist,
  filesSignature,
  readTlsMaterial,
  type TlsFiles,
  type TlsMaterial,
} from "./tls_material.ts";

/** How long a changed pair that does not match gets to settle before it is called broken. */
export const SETTLE_MS = 1000;

/**
 * Whether start may go on without the certificate files: they will come (TLSWaitForCertificate,
 * or ACME, which writes them into ACMEStorage).
 */
export function certificateMayBeAbsent(config: Config): boolean {
  return config.tlsWaitForCertificate || config.acme;
}

/** What the controller needs of its main thread. */
export interface TlsCertificatesOptions {
  readonly files: TlsFiles;
  /** Files checked this often (0: only on recheck()). */
  readonly intervalMs: number;
  /** Start without the files (see certificateMayBeAbsent). */
  readonly mayBeAbsent: boolean;
  /** "https://host:port", for the lines written. */
  readonly where: string;
  /** Workers expected to answer a new pair. */
  readonly workers: number;
  /** Send a pair to every worker. */
  send(m: TlsMaterial): void;
  /** An error.log line. */
  log(level: "notice" | "warn" | "error", message: string): void;
  /** A line on stdout (HTTPS came up after start). */
  announce(line: string): void;
  readonly now?: () => number;
}

/** The certificate the workers serve, and its renewal. */
export class TlsCertificates {
  readonly #o: TlsCertificatesOptions;
  readonly #now: () => number;
  /** The pair in service (null until the first arrives). */
  #current: TlsMaterial | null = null;
  #since = 0;
  /** A pair sent to the workers, not yet confirmed by all of them. */
  #pending: { m: TlsMaterial; ok: Set<number>; failed: boolean } | null = null;
  /** Signature of the files when last read. */
  #seen = "";
  #problem = "";
  #timer: ReturnType<typeof setInterval> | null = null;
  #settle: ReturnType<typeof setTimeout> | null = null;
  #noDelayWarned = false;

  constructor(o: TlsCertificatesOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The pair workers should serve (a replacement worker starts with it); null: none yet. */
  get current(): TlsMaterial | null {
    return this.#pending?.m ?? this.#current;
  }

  /**
   * Read the files at start.
   * @throws Error when they cannot serve and the certificate may not be absent
   */
  loadAtStart(): void {
    const files = this.#o.files;
    this.#seen = filesSignature(files);
    if (this.#o.mayBeAbsent && !filesExist(files)) {
      this.#problem = "waiting for the certificate files";
      this.#o.log(
        "notice",
        `HTTPS waits for "${files.certificate}" and "${files.key}" to appear; ` +
          "serving plain HTTP meanwhile",
      );
      return;
    }
    const m = readTlsMaterial(files);
    if (m instanceof Error) {
      if (!this.#o.mayBeAbsent) throw m;
      this.#fail(m.message);
      return;
    }
    this.#current = m;
    this.#since = this.#now();
    this.#expiryNote(m);
  }

  /** Check the files every TLSReloadInterval. */
  start(): void {
    if (this.#o.intervalMs > 0 && this.#timer === null) {
      this.#timer = setInterval(() => this.#check("timer"), this.#o.intervalMs);
    }
  }

  /** Stop checking (shutdown). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#settle !== null) clearTimeout(this.#settle);
    this.#timer = this.#settle = null;
  }

  /**
   * Read the files now, changed or not (SIGHUP; an ACME client after writing them). A pair that
   * differs from the one in service goes to the workers; a broken one is logged at once.
   * @param reason for the log line, e.g. "SIGHUP"
   */
  recheck(reason: string): void {
    this.#check(reason);
  }

  /** A worker's answer to a pair (at its start, or after "tls"). */
  onWorkerReply(m: Extract<FromWorker, { type: "tls" }>): void {
    if (typeof m.noDelay === "string" && !this.#noDelayWarned) {
      this.#noDelayWarned = true;
      this.#o.log(
        "warn",
        `cannot set TCP_NODELAY on the HTTPS listener (${m.noDelay}): responses over TLS may ` +
          "wait up to 40 ms for the client's acknowledgement, and a client that stalls its TLS " +
          "handshake keeps its socket until it leaves" +
          (/FFI/.test(m.noDelay) ? " (run with --allow-ffi)" : ""),
      );
    }
    const p = this.#pending;
    if (p === null || p.m.fingerprint !== m.fingerprint) return;
    if (m.error !== null) {
      if (!p.failed) this.#fail(`the workers cannot serve the new pair: ${m.error}`);
      p.failed = true;
      this.#pending = null; // the workers keep the listener they have
      return;
    }
    p.ok.add(m.id);
    if (p.ok.size < this.#o.workers) return;
    const first = this.#current === null;
    this.#current = p.m;
    this.#since = this.#now();
    this.#pending = null;
    this.#problem = "";
    this.#o.log("notice", `HTTPS now serves ${describe(p.m)} on ${this.#o.where}`);
    if (first) this.#o.announce(`listening on ${this.#o.where}`);
  }

  /** The status page's view (the workers add their counts). */
  view(): Omit<HttpsView, "connections" | "requests"> {
    const c = this.#current;
    const certificate: CertificateView | null = c === null ? null : {
      names: c.names,
      notAfterMs: c.notAfterMs,
      fingerprint: c.fingerprint,
      sinceMs: this.#since,
    };
    return { listen: this.#o.where, certificate, problem: this.#problem };
  }

  #check(reason: string): void {
    const files = this.#o.files;
    const sig = filesSignature(files);
    const forced = reason !== "timer" && reason !== "settle";
    if (reason === "timer" && sig === this.#seen) return;
    this.#seen = sig;
    // Still waiting for a first pair: a missing file is the expected state, not an error.
    if (this.#current === null && this.#o.mayBeAbsent && !filesExist(files)) return;
    const m = readTlsMaterial(files);
    if (m instanceof Error) {
      if (reason === "timer") {
        // Maybe half-written (the certificate renewed, the key not yet): look again shortly.
        if (this.#settle === null) {
          this.#settle = setTimeout(() => {
            this.#settle = null;
            this.#check("settle");
          }, SETTLE_MS);
        }
        return;
      }
      this.#fail(m.message);
      return;
    }
    if (m.fingerprint === this.current?.fingerprint) {
      if (forced) this.#o.log("notice", `${reason}: the TLS certificate files are unchanged`);
      return;
    }
    this.#problem = "";
    this.#expiryNote(m);
    this.#pending = { m, ok: new Set(), failed: false };
    this.#o.send(m);
  }

  /** One error line per problem (the same problem found again is not repeated). */
  #fail(message: string): void {
    if (message === this.#problem) return;
    this.#problem = message;
    const keep = this.#current === null
      ? "HTTPS stays off until a usable pair appears"
      : `still serving ${describe(this.#current)}`;
    this.#o.log("error", `${message}; ${keep}`);
  }

  #expiryNote(m: TlsMaterial): void {
    if (m.notAfterMs <= this.#now()) {
      this.#o.log(
        "warn",
        `the TLS certificate expired on ${new Date(m.notAfterMs).toISOString()}: ` +
          "browsers will refuse it",
      );
    }
  }
}

function describe(m: TlsMaterial): string {
  return `the certificate for ${m.names.join(", ") || "(no names)"} (${m.fingerprint}, ` +
    `expires ${new Date(m.notAfterMs).toISOString()})`;
}
