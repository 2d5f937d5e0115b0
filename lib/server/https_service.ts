/**
 * HTTPS on the main thread: the certificate the workers serve (tls_certificates.ts: read at
 * start, checked every TLSReloadInterval and on reload, handed to the workers) and, with
 * `ACME = On`, the automatic certificates that write it (acme_service.ts), whose challenge
 * tokens go to every worker (acme_fanout.ts). The lifecycle asks it for the fields of a
 * worker's start message, hands it the workers' replies, and stops it last.
 * @module
 */

import type { Config } from "../config/config.ts";
import { ConfigError, lineOf } from "../config/config.ts";
import { SERVER_NAME } from "../config/defaults.ts";
import type { ErrorRecord } from "../log/error_log.ts";
import type { AcmeView, HttpsView } from "../pages/status_page.ts";
import { ChallengeFanout } from "./acme_fanout.ts";
import {
  type AcmeService,
  type AcmeSetup,
  AcmeSetupError,
  checkAcme,
  startAcme,
  startingView,
} from "./acme_service.ts";
import { formatHostPort, resolveListenPort } from "./listener.ts";
import type { FromWorker, TlsStart, ToWorker } from "./messages.ts";
import { certificateMayBeAbsent, TlsCertificates } from "./tls_certificates.ts";

/** What the service needs of the server around it. */
export interface HttpsHost {
  log(module: "tls" | "acme", level: ErrorRecord["level"], message: string): void;
  /** A line for stdout (HTTPS coming up later: the `listening on https://` line). */
  out(line: string): void;
  /** Post to every worker serving now. */
  broadcast(m: ToWorker): void;
  /** Post to one worker; false when it is not running. */
  send(id: number, m: ToWorker): boolean;
  /** The ids of the workers serving now. */
  workerIds(): readonly number[];
}

/** The HTTPS keys a reload cannot change (the listeners and the ACME client keep them). */
const RESTART_KEYS = [
  ["TLSListen", (c: Config) => JSON.stringify(c.tlsListen)],
  ["TLSCertificate", (c: Config) => c.tlsCertificate],
  ["TLSKey", (c: Config) => c.tlsKey],
  ["ACME", (c: Config) => String(c.acme)],
  ["ACMEDomains", (c: Config) => c.acmeDomains.join(" ")],
  ["ACMEDirectory", (c: Config) => c.acmeDirectory],
  ["ACMEStorage", (c: Config) => c.acmeStorage],
] as const;

/** HTTPS and automatic certificates of one server process. */
export class HttpsService {
  /** The HTTPS port (resolved when TLSListen said 0). */
  readonly port: number;
  /** "https://host:port". */
  readonly where: string;
  readonly certificates: TlsCertificates;
  readonly #config: Config;
  readonly #host: HttpsHost;
  readonly #fanout: ChallengeFanout | null;
  readonly #acmeSetup: AcmeSetup | null;
  #acme: AcmeService | null = null;
  #acmeStarted: Promise<AcmeService | null> = Promise.resolve(null);

  /**
   * HTTPS for a config, or null when TLSListen is off. Reads the certificate (absent files
   * are allowed with TLSWaitForCertificate or ACME) and checks ACMEStorage and ACMECA.
   * @param sessionKey the session secret, which seals what instances share through memcached
   * @throws ConfigError naming the key when a setting cannot work; Error when the port is taken
   */
  static start(
    config: Config,
    text: string,
    session: { readonly key: string; readonly generated: boolean },
    host: HttpsHost,
  ): HttpsService | null {
    if (config.tlsListen === null) return null;
    return new HttpsService(config, text, session, host);
  }

  private constructor(
    config: Config,
    text: string,
    session: { readonly key: string; readonly generated: boolean },
    host: HttpsHost,
  ) {
    const at = config.tlsListen!;
    this.#config = config;
    this.#host = host;
    this.#acmeSetup = config.acme ? checkAcmeSettings(config, text, session.generated) : null;
    this.#fanout = this.#acmeSetup === null ? null : new ChallengeFanout({
      ids: () => host.workerIds(),
      send: (id, m) => host.send(id, m),
    });
    this.port = resolveListenPort(at.host, at.port);
    this.where = `https://${formatHostPort(at.host, this.port)}`;
    this.certificates = new TlsCertificates({
      files: { certificate: config.tlsCertificate, key: config.tlsKey },
      intervalMs: config.tlsReloadIntervalMs,
      mayBeAbsent: certificateMayBeAbsent(config),
      where: this.where,
      workers: config.workers,
      send: (material) => host.broadcast({ type: "tls", material }),
      log: (level, message) => host.log("tls", level, message),
      announce: (line) => host.out(`${SERVER_NAME} ${line}`),
    });
    this.certificates.loadAtStart();
    this.#secretForAcme = session.key;
  }

  readonly #secretForAcme: string;

  /** The fields of a worker's start message: the pair to serve and the challenge tokens. */
  startFields(): { tls: TlsStart; acmeChallenges: Readonly<Record<string, string>> } {
    return {
      tls: { port: this.port, material: this.certificates.current },
      acmeChallenges: this.#fanout?.tokens ?? {},
    };
  }

  /** A worker's message (its listener's answer to a pair, a challenge acknowledgement). */
  onMessage(m: FromWorker): void {
    if (m.type === "tls") this.certificates.onWorkerReply(m);
    this.#fanout?.onMessage(m);
  }

  /** " and https://host:port" once a certificate is served, for the listening line. */
  listening(): string {
    return this.certificates.current ? ` and ${this.where}` : "";
  }

  /** For the status page. */
  httpsView(): Omit<HttpsView, "connections" | "requests"> | null {
    return this.certificates.view();
  }

  /** For the status page (ACME On only). */
  acmeView(): AcmeView | null {
    if (this.#fanout === null) return null;
    return this.#acme?.manager.view() ?? startingView(this.#config);
  }

  /**
   * Plain HTTP serves: check the files on schedule, and load the ACME client and order a
   * certificate due, in the background.
   * @param plainPort the plain-HTTP port, where the CA's HTTP-01 validation arrives
   */
  afterListening(plainPort: number): void {
    this.certificates.start();
    const setup = this.#acmeSetup;
    const fanout = this.#fanout;
    if (setup === null || fanout === null) return;
    const log = (level: ErrorRecord["level"], message: string) =>
      this.#host.log("acme", level, message);
    this.#acmeStarted = startAcme(setup, {
      config: this.#config,
      port: plainPort,
      secret: this.#secretForAcme,
      fanout,
      log,
      // The new certificate.pem and key.pem: serve them now, not at the next check.
      certificateWritten: () => this.certificates.recheck("ACME"),
    }).catch((e) => {
      log(
        "error",
        `automatic certificates cannot start: ${e instanceof Error ? e.message : e}; ` +
          "plain HTTP keeps serving",
      );
      return null;
    }).then((started) => (this.#acme = started));
  }

  /**
   * A reload: the same HTTPS settings (a change of listener, files or ACME needs a restart,
   * said with the key and line), and the certificate files read again now.
   * @throws ConfigError when the new config changes what needs a restart
   */
  reload(next: Config, text: string): void {
    for (const [key, value] of RESTART_KEYS) {
      if (value(next) !== value(this.#config)) {
        throw new ConfigError(`changing ${key} needs a restart (systemctl restart httpserver)`, {
          file: next.file,
          line: lineOf(text, key),
          key,
        });
      }
    }
    this.certificates.recheck("SIGHUP");
  }

  /** Stop checking the files and stop the ACME client. */
  async stop(): Promise<void> {
    this.certificates.stop();
    (await this.#acmeStarted)?.close();
  }
}

/** ACME On: ACMEStorage ready and ACMECA readable, or a ConfigError naming the key. */
function checkAcmeSettings(config: Config, text: string, randomKey: boolean): AcmeSetup {
  if (config.memcached.length > 0 && randomKey) {
    // The instances share the certificate's key through memcached, sealed with this secret.
    throw new ConfigError(
      "with Memcached, the instances share the certificate through memcached, sealed with " +
        "the session secret: set SessionKey or SessionKeyFile, the same on every instance",
      { file: config.file, line: lineOf(text, "ACME"), key: "ACME" },
    );
  }
  try {
    return checkAcme(config);
  } catch (e) {
    if (!(e instanceof AcmeSetupError)) throw e;
    throw new ConfigError(e.message, { file: config.file, line: lineOf(text, e.key), key: e.key });
  }
}
