/**
 * Certificates for HTTPS tests, made at test time with openssl: a CA (P-256) and leaf
 * certificates it signs (CA:FALSE, serverAuth, SANs localhost and 127.0.0.1 unless told), so
 * real clients verify the chain against the CA alone. And a TLS client connection with
 * TCP_NODELAY on the client side, so a measured stall is the server's.
 * @module
 */

import { join } from "./paths.ts";
import { tempDir } from "./server.ts";

/** A test CA and one leaf it signed, as files. */
export interface TestPki {
  readonly dir: string;
  /** CA certificate (PEM): what clients trust. */
  readonly ca: string;
  /** Leaf certificate chain (PEM). */
  readonly cert: string;
  /** Leaf key (PEM). */
  readonly key: string;
  /** CA private key (to sign more leaves). */
  readonly caKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let r;
  try {
    r = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    throw new Error(`openssl is required for this test (apt-get install openssl): ${e}`);
  }
  if (!r.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/** Make a CA and a leaf for localhost and 127.0.0.1 in a fresh folder. */
export async function makePki(): Promise<TestPki> {
  const dir = tempDir();
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=httpserver test CA",
  ], dir);
  const pki = {
    dir,
    ca: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "leaf.pem"),
    key: join(dir, "leaf.key"),
  };
  await makeLeaf(pki, "leaf", "localhost");
  return pki;
}

/**
 * Sign a new leaf: `<name>.pem` and `<name>.key` in the PKI folder.
 * @param sans subjectAltName entries (default localhost and 127.0.0.1)
 * @returns the two paths
 */
export async function makeLeaf(
  pki: Pick<TestPki, "dir" | "ca" | "caKey">,
  name: string,
  cn: string,
  sans: readonly string[] = ["DNS:localhost", "IP:127.0.0.1"],
): Promise<{ cert: string; key: string }> {
  const dir = pki.dir;
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ], dir);
  Deno.writeTextFileSync(
    join(dir, `${name}.ext`),
    `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n` +
      `subjectAltName=${sans.join(",")}\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    pki.ca,
    "-CAkey",
    pki.caKey,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "30",
    "-extfile",
    `${name}.ext`,
  ], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** http.conf keys serving HTTPS on a free port with the PKI's leaf. */
export function tlsConf(pki: TestPki): Record<string, string> {
  return { TLSListen: "127.0.0.1:0", TLSCertificate: pki.cert, TLSKey: pki.key };
}

/**
 * A TLS connection to 127.0.0.1:port verified against the CA as "localhost", with Nagle off on
 * the client side (Deno.connectTls cannot turn it off).
 */
export async function connectTls(port: number, caFile: string): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  return await Deno.startTls(tcp, {
    hostname: "localhost",
    caCerts: [Deno.readTextFileSync(caFile)],
  });
}

/** The subject CN of the certificate a TLS server on `port` presents (openssl s_client). */
export async function servedSubject(port: number): Promise<string> {
  const r = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  return /^subject=.*CN ?= ?([^\s,/]+)/m.exec(out)?.[1] ?? `(none: ${out.slice(0, 200)})`;
}
