/**
 * A certificate and its key, as read from `TLSCertificate` and `TLSKey`: checked that they
 * parse and belong together (node:crypto's X.509 parser and key check), with the facts the
 * status page and the logs show (names, expiry). The main thread reads them; workers receive
 * the PEM text and open their listeners with it.
 * @module
 */

import { createHash, createPrivateKey, X509Certificate } from "node:crypto";

/** A certificate chain and its key, checked, as sent to the workers. */
export interface TlsMaterial {
  /** PEM certificate chain, leaf first. */
  readonly cert: string;
  /** PEM private key of the leaf. */
  readonly key: string;
  /** Short hash of both texts: what identifies this pair in messages and logs. */
  readonly fingerprint: string;
  /** The leaf's subject alternative names (DNS names and IP addresses), else its CN. */
  readonly names: readonly string[];
  /** The leaf's notAfter, epoch ms. */
  readonly notAfterMs: number;
}

/**
 * Check a certificate chain and key.
 * @param cert PEM chain (leaf first)
 * @param key PEM private key
 * @returns the material, or an Error saying what is wrong
 * @example parseTlsMaterial(pem, keyPem).names; // ["localhost", "127.0.0.1"]
 */
export function parseTlsMaterial(cert: string, key: string): TlsMaterial | Error {
  let leaf: X509Certificate;
  try {
    if (!cert.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate");
    leaf = new X509Certificate(cert); // the first certificate of the chain
  } catch (e) {
    return new Error(`the certificate does not parse (${why(e)})`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    return new Error(`the key does not parse (${why(e)})`);
  }
  if (!matches) return new Error("the key does not belong to the certificate");
  const fingerprint = createHash("sha256").update(cert).update("\0").update(key).digest("hex")
    .slice(0, 16);
  return { cert, key, fingerprint, names: namesOf(leaf), notAfterMs: leaf.validToDate.getTime() };
}

/** DNS names and IP addresses of subjectAltName ("DNS:a, IP Address:1.2.3.4"), else the CN. */
function namesOf(c: X509Certificate): string[] {
  const san = (c.subjectAltName ?? "").split(", ").flatMap((entry) => {
    const m = /^(DNS|IP Address):(.+)$/.exec(entry);
    return m === null ? [] : [m[2]!];
  });
  if (san.length > 0) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(c.subject);
  return cn === null ? [] : [cn[1]!];
}

/** The two files a pair is read from. */
export interface TlsFiles {
  readonly certificate: string;
  readonly key: string;
}

/**
 * Read and check the pair.
 * @returns the material, or an Error naming the file or the problem
 */
export function readTlsMaterial(files: TlsFiles): TlsMaterial | Error {
  let cert: string, key: string;
  try {
    cert = Deno.readTextFileSync(files.certificate);
  } catch (e) {
    return new Error(`cannot read TLSCertificate "${files.certificate}": ${why(e)}`);
  }
  try {
    key = Deno.readTextFileSync(files.key);
  } catch (e) {
    return new Error(`cannot read TLSKey "${files.key}": ${why(e)}`);
  }
  const m = parseTlsMaterial(cert, key);
  return m instanceof Error
    ? new Error(`"${files.certificate}" and "${files.key}": ${m.message}`)
    : m;
}

/**
 * What changes when either file is replaced, rewritten or removed: inode, size and mtime of
 * each (symbolic links followed, as certbot's live/ folder uses them). Cheap enough to ask
 * every TLSReloadInterval; the contents are read only when it changes.
 */
export function filesSignature(files: TlsFiles): string {
  return [files.certificate, files.key].map((p) => {
    try {
      const s = Deno.statSync(p);
      return `${s.ino}:${s.size}:${s.mtime?.getTime() ?? 0}`;
    } catch (e) {
      return e instanceof Error ? e.name : "error";
    }
  }).join("|");
}

/** Whether both files exist (a start without them may wait: TLSWaitForCertificate). */
export function filesExist(files: TlsFiles): boolean {
  return [files.certificate, files.key].every((p) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
