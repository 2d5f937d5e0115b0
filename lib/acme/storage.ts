/**
 * ACMEStorage on disk (the only file in acme/ that touches files): the account key and the
 * certificate, each written to a temporary file with mode 0600 and renamed over the old one, so
 * a reader (HTTPS, another process) sees the old file or the new one, never half of one.
 *
 * ```
 *   ACMEStorage/            mode 0700, owned by the server's user
 *     account.key           the ACME account's private key (PEM)
 *     key.pem               the certificate's private key (PEM): TLSKey
 *     certificate.pem       the chain, leaf first (PEM): TLSCertificate
 * ```
 * @module
 */

import { join } from "node:path";
import { acmeCertificateFiles } from "../config/acme_keys.ts";

/** A certificate chain and its private key, as PEM text. */
export interface CertificatePair {
  /** The chain, leaf first. */
  readonly cert: string;
  readonly key: string;
}

/** Where the manager keeps its certificate (files here; a map in tests). */
export interface PairStore {
  /** The stored pair, or null when there is none (either file missing). */
  readPair(): CertificatePair | null;
  /** Replace the stored pair (key first, then the chain). */
  writePair(p: CertificatePair): void;
}

const ACCOUNT_KEY = "account.key";

/** The files of one ACMEStorage folder. */
export class AcmeStorage implements PairStore {
  readonly dir: string;
  readonly #files: { certificate: string; key: string };

  constructor(dir: string) {
    this.dir = dir;
    this.#files = acmeCertificateFiles(dir);
  }

  /**
   * Make sure the folder exists and only its owner can enter it: create it (mode 0700) when
   * missing; refuse one owned by another user or open to others.
   * @returns what is wrong, or null
   */
  prepare(): string | null {
    try {
      Deno.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      return `cannot create the folder "${this.dir}": ${why(e)}`;
    }
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(this.dir);
    } catch (e) {
      return `cannot read "${this.dir}": ${why(e)}`;
    }
    if (!st.isDirectory) return `"${this.dir}" is not a folder`;
    const uid = Deno.uid();
    if (uid !== null && st.uid !== null && st.uid !== uid) {
      return `"${this.dir}" belongs to uid ${st.uid}, not to the server's user (uid ${uid}): ` +
        `chown it to that user`;
    }
    const mode = (st.mode ?? 0) & 0o777;
    if ((mode & 0o077) !== 0) {
      return `"${this.dir}" is open to other users (mode ${mode.toString(8)}), and holds ` +
        `private keys: chmod 700 it`;
    }
    return null;
  }

  /** The account key, or null when none was made yet. */
  readAccountKey(): string | null {
    return readOrNull(join(this.dir, ACCOUNT_KEY));
  }

  writeAccountKey(pem: string): void {
    writePrivate(join(this.dir, ACCOUNT_KEY), pem);
  }

  readPair(): CertificatePair | null {
    const cert = readOrNull(this.#files.certificate);
    const key = readOrNull(this.#files.key);
    return cert === null || key === null ? null : { cert, key };
  }

  writePair(p: CertificatePair): void {
    // The key first: a reader that sees the new chain finds its key already in place.
    writePrivate(this.#files.key, p.key);
    writePrivate(this.#files.certificate, p.cert);
  }
}

/**
 * ACMECA's PEM text ("" when unset).
 * @throws Error when the file cannot be read or holds no PEM certificate
 */
export function readCaBundle(path: string): string {
  if (path === "") return "";
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`cannot read "${path}": ${why(e)}`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`"${path}" holds no PEM certificate`);
  }
  return text;
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Write `text` to `path` atomically, readable by the owner only. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, text, { mode: 0o600, createNew: true });
    Deno.chmodSync(tmp, 0o600); // whatever the umask
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
    throw e;
  }
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
