/**
 * The temporary folder of one bench run: document root with the generated files, the Range-mix
 * Lua script, the TLS cases' certificate, and room for each server's config and logs.
 * @module
 */

import { join } from "node:path";
import { BENCH_FILES, FILE_MTIME, offsetBytes, RANGE_MIX, rangeMixScript } from "./cases.ts";

/** The TLS cases' certificate: a test CA and a leaf for localhost and 127.0.0.1 it signed. */
export interface BenchTls {
  /** Leaf certificate (PEM file), served by every server. */
  readonly cert: string;
  /** Its key (PEM file, P-256). */
  readonly key: string;
  /** The CA certificate as PEM text (for the bench's own probe). */
  readonly caPem: string;
}

/** Paths inside the temporary folder. */
export interface Fixtures {
  /** The temporary folder (removed at the end unless BENCH_KEEP_TMP=1). */
  readonly tmpDir: string;
  /** Document root shared by all servers. */
  readonly docRoot: string;
  /** The Range-mix Lua script for wrk. */
  readonly rangeScript: string;
  readonly tls: BenchTls;
}

/**
 * Create the temporary folder and its files. Folders are made world-readable because nginx's
 * workers run as an unprivileged user when the bench runs as root.
 * @returns the paths
 */
export async function makeFixtures(): Promise<Fixtures> {
  const tmpDir = await Deno.makeTempDir({ prefix: "httpserver-bench-" });
  const docRoot = join(tmpDir, "www");
  await Deno.mkdir(docRoot);
  for (const f of BENCH_FILES) {
    const path = join(docRoot, f.name);
    await Deno.writeFile(path, offsetBytes(f.size), { mode: 0o644 });
    await Deno.utime(path, FILE_MTIME, FILE_MTIME);
  }
  const rangeScript = join(tmpDir, "range_mix.lua");
  await Deno.writeTextFile(rangeScript, rangeMixScript("/range.bin", RANGE_MIX));
  await Deno.chmod(tmpDir, 0o755);
  await Deno.chmod(docRoot, 0o755);
  return { tmpDir, docRoot, rangeScript, tls: await makeTls(join(tmpDir, "tls")) };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let r;
  try {
    r = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`The TLS cases need openssl (apt-get install openssl): ${e}`);
  }
  if (!r.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/** A CA and a leaf (ECDSA P-256, as ACME clients issue by default) in `dir`. */
async function makeTls(dir: string): Promise<BenchTls> {
  await Deno.mkdir(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "7",
    "-subj",
    "/CN=bench CA",
  ], dir);
  await openssl(
    ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"],
    dir,
  );
  await Deno.writeTextFile(
    join(dir, "leaf.ext"),
    "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "7",
    "-extfile",
    "leaf.ext",
  ], dir);
  await Deno.chmod(dir, 0o755);
  for (const f of ["leaf.pem", "leaf.key"]) await Deno.chmod(join(dir, f), 0o644);
  return {
    cert: join(dir, "leaf.pem"),
    key: join(dir, "leaf.key"),
    caPem: await Deno.readTextFile(join(dir, "ca.pem")),
  };
}

/**
 * Remove the temporary folder.
 * @param f the fixtures
 */
export async function removeFixtures(f: Fixtures): Promise<void> {
  await Deno.remove(f.tmpDir, { recursive: true }).catch(() => {});
}
