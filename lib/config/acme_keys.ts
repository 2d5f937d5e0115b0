/**
 * The `http.conf` keys of automatic certificates (ACME, RFC 8555), their cross-checks, and where
 * the certificate lands (pure). `keys.ts` spreads ACME_KEYS into the table of every key.
 *
 * With `ACME = On` the certificate chain and its key are written to `ACMEStorage/certificate.pem`
 * and `ACMEStorage/key.pem` ({@linkcode acmeCertificateFiles}): the files HTTPS serves.
 * @module
 */

import { join, resolve } from "node:path";
import { ACME_CERTIFICATE_FILE, ACME_KEY_FILE, ACME_MAX_DOMAINS, RANGES } from "./defaults.ts";
import type { KeyContext, KeyParser, MutableConfig } from "./keys.ts";
import type { Config } from "./types.ts";
import { isHostname, parseBool, type Parsed, parseDuration, splitList } from "./values.ts";

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

function set<K extends keyof MutableConfig>(
  name: K,
  parse: (v: string, ctx: KeyContext) => Parsed<MutableConfig[K]>,
): KeyParser {
  return (value, ctx) => {
    const r = parse(value, ctx);
    return r.ok ? ok({ [name]: r.value } as Partial<MutableConfig>) : r;
  };
}

/**
 * Parse `ACMEDomains`: DNS names separated by spaces or commas, lower-cased, duplicates dropped.
 * A wildcard needs the DNS-01 challenge, which the server does not answer (HTTP-01 only); an IP
 * address is not a DNS name.
 * @example parseAcmeDomains("Example.org, www.example.org"); // ok: ["example.org", "www.example.org"]
 */
export function parseAcmeDomains(v: string): Parsed<string[]> {
  const names = [...new Set(splitList(v.toLowerCase()))];
  if (names.length === 0) return ok([]); // none yet: ACME On without names is a conflict
  if (names.some((n) => n.startsWith("*."))) {
    return bad("names without wildcards (a wildcard needs DNS-01; httpserver answers HTTP-01)");
  }
  if (!names.every(isHostname)) {
    return bad("DNS names like example.org, separated by spaces or commas");
  }
  if (names.length > ACME_MAX_DOMAINS) return bad(`at most ${ACME_MAX_DOMAINS} names`);
  return ok(names);
}

/** `ACMEEmail`: one address (RFC 5321 dot-atom local part, a DNS domain), or nothing. */
export function parseAcmeEmail(v: string): Parsed<string> {
  if (v === "") return ok("");
  const at = v.lastIndexOf("@");
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  const atom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
  return at > 0 && local.length <= 64 && atom.test(local) && isHostname(domain)
    ? ok(v)
    : bad("an email address like admin@example.org, or nothing");
}

/** `ACMEDirectory`: an https URL (RFC 8555 §6.1: ACME runs over HTTPS only). */
export function parseAcmeDirectory(v: string): Parsed<string> {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return bad("an https:// URL of an ACME directory");
  }
  return url.protocol === "https:" && url.username === "" && url.password === ""
    ? ok(url.href)
    : bad("an https:// URL of an ACME directory (ACME runs over HTTPS only)");
}

function path(v: string, ctx: KeyContext): Parsed<string> {
  return v === "" || v.includes("\0") ? bad("a file path") : ok(resolve(ctx.baseDir, v));
}

function optionalPath(v: string, ctx: KeyContext): Parsed<string> {
  return v === "" ? ok("") : path(v, ctx);
}

const duration = (r: { min: number; max: number }) => (v: string) => parseDuration(v, r);

/** The ACME keys, by their case-sensitive names. */
export const ACME_KEYS: Readonly<Record<string, KeyParser>> = {
  ACME: set("acme", (v) => parseBool(v)),
  ACMEDomains: set("acmeDomains", parseAcmeDomains),
  ACMEEmail: set("acmeEmail", parseAcmeEmail),
  ACMEDirectory: set("acmeDirectory", parseAcmeDirectory),
  ACMECA: set("acmeCa", optionalPath),
  ACMEStorage: set("acmeStorage", path),
  ACMERetry: set("acmeRetryMs", duration(RANGES.ACMERetry)),
  ACMERetryMax: set("acmeRetryMaxMs", duration(RANGES.ACMERetryMax)),
  ACMETimeout: set("acmeTimeoutMs", duration(RANGES.ACMETimeout)),
};

/** What is wrong when ACME settings contradict each other, and the keys involved. */
export function acmeConflict(
  c: Config,
): { readonly keys: readonly [string, ...string[]]; readonly detail: string } | null {
  if (c.acme && c.acmeDomains.length === 0) {
    return {
      keys: ["ACMEDomains", "ACME"],
      detail: "ACME On requires ACMEDomains (the names the certificate is for)",
    };
  }
  if (c.acme && c.tlsListen === null) {
    return {
      keys: ["ACME", "TLSListen"],
      detail: "ACME On requires TLSListen (the HTTPS address the certificate is served on)",
    };
  }
  if (c.acme && (c.tlsCertificate !== "" || c.tlsKey !== "")) {
    return {
      keys: [c.tlsCertificate !== "" ? "TLSCertificate" : "TLSKey", "ACME"],
      detail: "with ACME On the certificate and key are the ones ACME keeps in ACMEStorage: " +
        "leave TLSCertificate and TLSKey unset",
    };
  }
  if (c.acmeRetryMs > c.acmeRetryMaxMs) {
    return {
      keys: ["ACMERetry", "ACMERetryMax"],
      detail: `ACMERetry (${c.acmeRetryMs}ms) must not exceed ACMERetryMax (${c.acmeRetryMaxMs}ms)`,
    };
  }
  return null;
}

/**
 * Where ACME writes the certificate chain and its key: inside ACMEStorage. With ACME On these
 * are the files HTTPS serves (TLSCertificate and TLSKey are left unset).
 * @example acmeCertificateFiles("/srv/acme"); // { certificate: "/srv/acme/certificate.pem", key: "/srv/acme/key.pem" }
 */
export function acmeCertificateFiles(storage: string): { certificate: string; key: string } {
  return { certificate: join(storage, ACME_CERTIFICATE_FILE), key: join(storage, ACME_KEY_FILE) };
}
