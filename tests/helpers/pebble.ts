/**
 * A real ACME CA for tests: Debian's `pebble`, on free ports below 32768, with its own HTTPS
 * certificate signed by a CA made here with openssl (the Debian package ships no test
 * certificates). It validates HTTP-01 challenges against `httpPort` on the name's address
 * (`localhost` -> 127.0.0.1 through /etc/hosts), so a test starts pebble with the port its
 * server will listen on. Stopped by PID.
 * @module
 */

import { join } from "./paths.ts";

/** A port below 32768 nobody listens on right now (the ephemeral range above collides). */
export function lowFreePort(): number {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch { /* taken: try another */ }
  }
  throw new Error("no free port below 32768 after 200 tries");
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`${cmd} is not installed (apt-get install ${cmd}): the ACME tests need it`);
    }
    throw e;
  }
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(r.stderr)}`);
  }
}

/**
 * Make a P-256 CA and a leaf for pebble's own HTTPS (`localhost`, `127.0.0.1`; CA:FALSE, since
 * a client refuses a CA certificate used as a server's).
 * @returns paths of the CA certificate, pebble's certificate and its key
 */
export async function makePebbleCerts(
  dir: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=httpserver test CA for pebble",
  ], dir); // deno-fmt-ignore
  await run("openssl", [
    "req", ...ec, "-keyout", "pebble.key", "-out", "pebble.csr", "-subj", "/CN=localhost",
  ], dir); // deno-fmt-ignore
  Deno.writeTextFileSync(
    join(dir, "pebble.ext"),
    "basicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    "pebble.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "pebble.crt",
    "-days",
    "2",
    "-extfile",
    "pebble.ext",
  ], dir); // deno-fmt-ignore
  return { ca: join(dir, "ca.crt"), cert: join(dir, "pebble.crt"), key: join(dir, "pebble.key") };
}

/** How to start pebble. */
export interface PebbleOptions {
  /** Folder for its config and certificates. */
  readonly dir: string;
  /** The port pebble validates HTTP-01 challenges on (the server's plain-HTTP port). */
  readonly httpPort: number;
  /** Lifetime of the certificates it issues, in seconds (pebble's default: 5 years). */
  readonly validitySeconds?: number;
}

/** A running pebble. */
export interface Pebble {
  /** The ACME directory URL (`ACMEDirectory`). */
  readonly directory: string;
  /** The CA bundle that makes pebble's HTTPS trusted (`ACMECA`). */
  readonly caFile: string;
  /** pebble's output so far. */
  output(): string;
  /** pebble's root CA (it makes a new one at each start), as PEM, from the management port. */
  root(): Promise<string>;
  stop(): Promise<void>;
}

/** Start pebble (fails, naming the package, when it is not installed). */
export async function startPebble(o: PebbleOptions): Promise<Pebble> {
  const certs = await makePebbleCerts(o.dir);
  for (let attempt = 0;; attempt++) {
    try {
      return await launch(o, certs, lowFreePort(), lowFreePort());
    } catch (e) {
      // Another process may take a probed port before pebble binds it: try other ports.
      if (attempt >= 2 || !(e instanceof PortTaken)) throw e;
    }
  }
}

class PortTaken extends Error {}

async function launch(
  o: PebbleOptions,
  certs: { ca: string; cert: string; key: string },
  port: number,
  mgmt: number,
): Promise<Pebble> {
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${mgmt}`,
      certificate: certs.cert,
      privateKey: certs.key,
      httpPort: o.httpPort,
      tlsPort: lowFreePort(),
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      ...(o.validitySeconds === undefined ? {} : { certificateValidityPeriod: o.validitySeconds }),
    },
  };
  const file = join(o.dir, `pebble-${port}.json`);
  Deno.writeTextFileSync(file, JSON.stringify(config));
  let proc: Deno.ChildProcess;
  try {
    proc = new Deno.Command("pebble", {
      args: ["-config", file, "-strict=false"],
      // No artificial validation delay; no nonce rejected on purpose (acme-client retries
      // them, but each retry is a wait a test does not need); no authorization reused, so
      // every order is validated against the server.
      env: { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("pebble is not installed (apt-get install pebble): the ACME tests need it");
    }
    throw e;
  }
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) out += t;
  };
  const done = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  let exited = false;
  proc.status.then(() => (exited = true));
  const stop = async () => {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.status;
    await done;
  };
  const until = Date.now() + 15_000;
  while (!/Listening on: /.test(out) || !/ACME directory available at/.test(out)) {
    if (/address already in use/.test(out)) {
      await stop();
      throw new PortTaken(out);
    }
    if (exited || Date.now() > until) {
      await stop();
      throw new Error(`pebble did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const client = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(certs.ca)] });
  return {
    directory: `https://127.0.0.1:${port}/dir`,
    caFile: certs.ca,
    output: () => out,
    async root() {
      const r = await fetch(`https://127.0.0.1:${mgmt}/roots/0`, { client });
      if (!r.ok) throw new Error(`pebble's root: HTTP ${r.status}`);
      return await r.text();
    },
    async stop() {
      client.close();
      await stop();
    },
  };
}
