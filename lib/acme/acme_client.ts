/**
 * The ACME protocol (RFC 8555), from npm:acme-client (the only importer of it): account, order,
 * HTTP-01 challenges, CSR, finalization and download. Nothing here signs a JWS or builds a CSR by
 * hand. The directory is reached through an https.Agent that trusts the system's roots plus
 * ACMECA, so a private CA (or pebble in the tests) needs no environment variable.
 * @module
 */

import acme from "acme-client";
import https from "node:https";
import tls from "node:tls";
import type { CertificateFacts } from "./schedule.ts";
import type { CertificatePair } from "./storage.ts";

/** What an order asks of the server: answer a token's challenge, then stop answering it. */
export interface ChallengeHooks {
  /** Answer `token` with `keyAuthorization` wherever the CA may ask (resolves when it can). */
  present(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): Promise<void>;
}

/** A CA that issues certificates for names whose challenges we answer. */
export interface CertificateAuthority {
  /** Where it is (for log lines). */
  readonly name: string;
  /** Order a certificate for `domains` (a fresh key each time); rejects when the CA refuses. */
  order(domains: readonly string[], hooks: ChallengeHooks): Promise<CertificatePair>;
}

/** How to reach the CA. */
export interface AcmeClientOptions {
  /** ACMEDirectory. */
  readonly directory: string;
  /** ACMECA as PEM text ("" = the system's roots only). */
  readonly extraCa: string;
  /** ACMEEmail ("" = no contact). */
  readonly email: string;
  /** The account key (PEM). */
  readonly accountKey: string;
  /** acme-client's own progress lines (debug). */
  readonly debug?: (line: string) => void;
}

/** Polling an order: first after 1 s, then doubling to 30 s, 10 tries (acme-client's backoff). */
const BACKOFF = { backoffAttempts: 10, backoffMin: 1000, backoffMax: 30_000 };
/** One request to the CA (acme-client retries a failed one 5 times itself). */
const REQUEST_TIMEOUT_MS = 30_000;

/** The CA at ACMEDirectory, through acme-client. */
export function acmeClientCa(o: AcmeClientOptions): CertificateAuthority {
  // acme-client talks through one shared axios instance; this process has one ACME client.
  acme.axios.defaults.httpsAgent = new https.Agent({
    ca: o.extraCa === "" ? [...tls.rootCertificates] : [...tls.rootCertificates, o.extraCa],
    keepAlive: false,
  });
  acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
  acme.setLogger(o.debug ?? (() => {}));
  const client = new acme.Client({
    directoryUrl: o.directory,
    accountKey: o.accountKey,
    ...BACKOFF,
  });
  return {
    name: new URL(o.directory).host,
    async order(domains, hooks) {
      const [key, csr] = await acme.crypto.createCsr(
        { commonName: domains[0] ?? "", altNames: [...domains] },
        await acme.crypto.createPrivateEcdsaKey("P-256"),
      );
      const cert = await client.auto({
        csr,
        ...(o.email === "" ? {} : { email: o.email }),
        termsOfServiceAgreed: true,
        challengePriority: ["http-01"],
        // The CA validates anyway; acme-client's own check would resolve the names with the
        // system resolver and retry for minutes before the CA is even asked.
        skipChallengeVerification: true,
        challengeCreateFn: (_authz, challenge, keyAuthorization) =>
          hooks.present(challenge.token, keyAuthorization),
        challengeRemoveFn: (_authz, challenge) => hooks.withdraw(challenge.token),
      });
      return { cert, key: key.toString() };
    },
  };
}

/** A new account key (ECDSA P-256, PEM). */
export async function createAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey("P-256")).toString();
}

/**
 * The facts of a chain's leaf: names, validity, issuer.
 * @throws Error when the text holds no certificate that parses
 */
export function readCertificate(pem: string): CertificateFacts {
  const info = acme.crypto.readCertificateInfo(pem);
  // The subjectAltName decides; the CN only when there is none (RFC 6125 §6.4.4).
  const alt = info.domains.altNames.filter((n) => n !== "");
  const names = (alt.length > 0 ? alt : [info.domains.commonName ?? ""])
    .filter((n) => n !== "")
    .map((n) => n.toLowerCase());
  return {
    names: [...new Set(names)],
    notBeforeMs: info.notBefore.getTime(),
    notAfterMs: info.notAfter.getTime(),
    issuer: info.issuer.commonName ?? "",
  };
}
