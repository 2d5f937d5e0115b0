/**
 * Automatic certificates against a real ACME CA: Debian's pebble, started here on free ports
 * with its own HTTPS certificate, validating HTTP-01 challenges on the server's plain-HTTP port
 * (and a real memcached for two instances). Needs pebble, openssl and memcached: a test fails,
 * naming the package, when one is missing.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { lowFreePort, type Pebble, startPebble } from "./helpers/pebble.ts";
import { startMemcached } from "./helpers/memcached.ts";
import { withSysctl } from "./helpers/sysctl.ts";
import { Sealer } from "../lib/acme/sealed.ts";
import { tokenContext } from "../lib/acme/cluster.ts";
import { eventually, startServer, tempDir, type TestServer } from "./helpers/server.ts";

/** Upper bound on getting a certificate (pebble issues one in well under a second). */
const ISSUE_MS = 45_000;
const KEY = "acme-test-session-key-0123456789";

function acmeConf(pebble: Pebble, storage: string, more: Record<string, string> = {}) {
  return {
    // ACME needs HTTPS (it serves the certificate there); on a probed port below 32768.
    TLSListen: `127.0.0.1:${lowFreePort()}`,
    ACME: "On",
    ACMEDomains: "localhost",
    ACMEEmail: "admin@example.org",
    ACMEDirectory: pebble.directory,
    ACMECA: pebble.caFile,
    ACMEStorage: storage,
    ServerStatus: "On",
    SessionKey: KEY,
    ...more,
  };
}

async function openssl(...args: string[]): Promise<string> {
  const r = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`openssl ${args.join(" ")}: ${text}`);
  return text;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const mode = (p: string) => (Deno.statSync(p).mode ?? 0) & 0o777;

/** The status page's instance view (polled: the main thread may be busy loading acme-client). */
// deno-lint-ignore no-explicit-any
async function status(s: TestServer): Promise<any> {
  for (let i = 0;; i++) {
    const r = await fetch(`${s.url}/server-status?json`);
    assert.equal(r.status, 200);
    const instance = (await r.json()).instance;
    if (instance !== null || i >= 20) return instance;
  }
}

async function metrics(s: TestServer): Promise<string> {
  for (let i = 0;; i++) {
    const text = await (await fetch(`${s.url}/server-status/metrics`)).text();
    if (text.includes("httpserver_uptime_seconds") || i >= 20) return text;
  }
}

/** error.log lines of the acme module at a level ("notice", "error", ...). */
function acmeLines(s: TestServer, level: string): string[] {
  return s.readLog("error.log").split("\n").filter((l) => l.includes(`[acme:${level}]`));
}

/** The challenge requests pebble's validation made to this server, as access-log lines. */
function validations(s: TestServer): string[] {
  return s.readLog("access.log").split("\n").filter((l) =>
    l.includes("/.well-known/acme-challenge/") && l.includes("LetsEncrypt-Pebble-VA")
  );
}

/** notAfter of a PEM certificate, epoch ms. */
async function notAfterMs(file: string): Promise<number> {
  const out = await openssl("x509", "-in", file, "-noout", "-enddate");
  return Date.parse(out.trim().replace(/^notAfter=/, ""));
}

Deno.test("a fresh server obtains a certificate from pebble, answering HTTP-01 on its own plain-HTTP port", async () => {
  const dir = tempDir();
  const port = lowFreePort();
  const pebble = await startPebble({ dir, httpPort: port });
  const storage = join(dir, "acme");
  let server: TestServer | null = null;
  try {
    server = await startServer({
      conf: { Listen: `127.0.0.1:${port}`, ...acmeConf(pebble, storage) },
    });
    const s = server;
    // Plain HTTP serves at once, before any certificate.
    assert.equal(
      await fetch(`${s.url}/`).then(async (r) => (await r.body?.cancel(), r.status)),
      200,
    );
    const cert = join(storage, "certificate.pem");
    const key = join(storage, "key.pem");
    await eventually(
      () => exists(cert) && acmeLines(s, "notice").some((l) => /obtained/.test(l)),
      ISSUE_MS,
      "the certificate",
    );
    // The chain verifies against pebble's root, is for localhost, and the key is its key.
    const root = join(dir, "pebble-root.pem");
    Deno.writeTextFileSync(root, await pebble.root());
    assert.match(await openssl("verify", "-CAfile", root, "-untrusted", cert, cert), /: OK\n/);
    assert.match(
      await openssl("x509", "-in", cert, "-noout", "-ext", "subjectAltName"),
      /DNS:localhost\n/,
    );
    assert.equal(
      await openssl("pkey", "-in", key, "-pubout"),
      await openssl("x509", "-in", cert, "-noout", "-pubkey"),
    );
    for (const f of ["certificate.pem", "key.pem", "account.key"]) {
      assert.equal(mode(join(storage, f)), 0o600, f);
    }
    assert.equal(mode(storage), 0o700);
    // pebble's validation reached this server's plain-HTTP listener and got the answer.
    await eventually(() => validations(s).length > 0, 5000, "the validation in access.log");
    for (const l of validations(s)) {
      assert.match(l, /"GET \/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+ HTTP\/1\.1" 200 /);
    }
    // One line for the success, none for a failure; the status page and /metrics show it.
    assert.equal(acmeLines(s, "error").length, 0, s.readLog("error.log"));
    assert.equal(
      acmeLines(s, "notice").filter((l) => /obtained from 127\.0\.0\.1:/.test(l)).length,
      1,
    );
    const expiry = await notAfterMs(cert);
    const acme = (await status(s)).acme;
    assert.equal(acme.state, "valid");
    assert.deepEqual(acme.certificate.names, ["localhost"]);
    assert.equal(acme.certificate.notAfterMs, expiry);
    assert.equal(acme.certificate.source, "ordered");
    assert.equal(acme.ordersTotal, 1);
    assert.match(
      await metrics(s),
      new RegExp(
        `^httpserver_acme_certificate_expiry_seconds\\{names="localhost"\\} ${expiry / 1000}$`,
        "m",
      ),
    );
    // The start line names plain HTTP only; HTTPS says so when the certificate brings it up.
    await eventually(
      () =>
        /^httpserver listening on http:\/\/\S+ \(\d+ workers\)\nhttpserver listening on https:\/\/127\.0\.0\.1:\d+\n$/
          .test(s.stdout()),
      5000,
      `the HTTPS line on stdout after the plain one`,
    );
    assert.equal(await s.stop(), 0);
    server = null;

    // Started again, it keeps the certificate it has: no order, no validation.
    const pem = Deno.readTextFileSync(cert);
    server = await startServer({
      conf: { Listen: `127.0.0.1:${port}`, ...acmeConf(pebble, storage) },
    });
    const again = server;
    await eventually(
      async () => (await status(again)).acme.state !== "starting",
      10_000,
      "ACME to start",
    );
    const view = (await status(again)).acme;
    assert.equal(view.state, "valid");
    assert.equal(view.certificate.source, "files");
    assert.equal(view.ordersTotal, 0);
    assert.equal(Deno.readTextFileSync(cert), pem);
    assert.equal(validations(again).length, 0);
    await eventually(
      () => acmeLines(again, "info").some((l) => /certificate for localhost valid until/.test(l)),
      5000,
      "the line saying the certificate in ACMEStorage is used",
    );
  } finally {
    await server?.stop();
    await pebble.stop();
  }
});

// Swapping to the renewed certificate closes each worker's HTTPS listener for a new one; with
// net.ipv4.tcp_migrate_req = 1 (install.sh sets it) the kernel moves the connections queued on
// the old one instead of resetting them, so the test runs with it, as a service does.
Deno.test("a short-lived certificate is renewed when a third of its life remains, under plain-HTTP and HTTPS load, and HTTPS serves the new one", async () => {
  await withSysctl("net.ipv4.tcp_migrate_req", "1", renewUnderLoad);
});

async function renewUnderLoad(): Promise<void> {
  const dir = tempDir();
  const port = lowFreePort();
  // 9 s of validity: renewal 6 s after issue.
  const pebble = await startPebble({ dir, httpPort: port, validitySeconds: 9 });
  const storage = join(dir, "acme");
  let server: TestServer | null = null;
  let stop = false;
  let client: Deno.HttpClient | null = null;
  try {
    server = await startServer({
      conf: { Listen: `127.0.0.1:${port}`, ...acmeConf(pebble, storage) },
    });
    const s = server;
    const cert = join(storage, "certificate.pem");
    const obtained = () => acmeLines(s, "notice").filter((l) => /obtained from/.test(l)).length;
    const serving = () =>
      s.readLog("error.log").split("\n").filter((l) => /\[tls:notice\].*HTTPS now serves/.test(l))
        .length;
    await eventually(() => exists(cert) && obtained() >= 1, ISSUE_MS, "the first certificate");
    // Plain HTTP served from the start; HTTPS comes up with the certificate, saying so.
    let tlsPort = 0;
    await eventually(
      () => {
        const m = /^httpserver listening on https:\/\/127\.0\.0\.1:(\d+)$/m.exec(s.stdout());
        tlsPort = Number(m?.[1] ?? 0);
        return tlsPort > 0 && serving() >= 1;
      },
      ISSUE_MS,
      "HTTPS up with the first certificate",
    );
    const first = await notAfterMs(cert);
    const firstPem = Deno.readTextFileSync(cert);
    client = Deno.createHttpClient({ caCerts: [await pebble.root()] });
    const https = client;
    // Requests, one connection each, all through the renewal: plain and HTTPS in turn.
    let ok = 0;
    let okTls = 0;
    const failed: string[] = [];
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const tls = i % 2 === 1;
        try {
          const r = tls
            ? await fetch(`https://localhost:${tlsPort}/`, { client: https })
            : await fetch(`${s.url}/`, { headers: { connection: "close" } });
          await r.body?.cancel();
          if (r.status !== 200) failed.push(`HTTP ${r.status}`);
          else if (tls) okTls++;
          else ok++;
        } catch (e) {
          failed.push(String(e));
        }
      }
    })();
    await eventually(() => obtained() >= 2 && serving() >= 2, 30_000, "the renewed certificate");
    stop = true;
    await load;
    const second = await notAfterMs(cert);
    assert.notEqual(Deno.readTextFileSync(cert), firstPem);
    assert.ok(second > first, `the new certificate lasts longer (${second} > ${first})`);
    assert.deepEqual(failed, []);
    assert.ok(ok > 0 && okTls > 0, `plain ${ok}, HTTPS ${okTls}`);
    // What HTTPS hands a new client now is the renewed certificate.
    const served = await new Deno.Command("sh", {
      args: [
        "-c",
        `openssl s_client -connect 127.0.0.1:${tlsPort} -servername localhost </dev/null ` +
        "2>/dev/null | openssl x509 -noout -enddate",
      ],
      stdout: "piped",
    }).output();
    const servedEnd = new TextDecoder().decode(served.stdout).trim().replace(/^notAfter=/, "");
    assert.equal(Date.parse(servedEnd), second, `served: ${servedEnd}`);
    const renewed = acmeLines(s, "notice").filter((l) => /obtained from/.test(l))[1]!;
    assert.match(
      renewed,
      /certificate for localhost obtained from .*: valid until .*, renewal from /,
    );
    assert.equal(acmeLines(s, "error").length, 0, s.readLog("error.log"));
  } finally {
    stop = true;
    client?.close();
    await server?.stop();
    await pebble.stop();
  }
}

Deno.test("a challenge the CA cannot validate leaves plain HTTP serving and writes one error line", async () => {
  const dir = tempDir();
  const nobody = lowFreePort(); // pebble validates here: no server of ours answers
  const pebble = await startPebble({ dir, httpPort: nobody });
  const storage = join(dir, "acme");
  let server: TestServer | null = null;
  try {
    server = await startServer({
      conf: {
        Listen: `127.0.0.1:${lowFreePort()}`,
        ...acmeConf(pebble, storage, { ACMERetry: "1h" }),
      },
    });
    const s = server;
    await eventually(() => acmeLines(s, "error").length > 0, ISSUE_MS, "the failure line");
    const r = await fetch(`${s.url}/`);
    await r.body?.cancel();
    assert.equal(r.status, 200, "plain HTTP keeps serving");
    const acme = (await status(s)).acme;
    assert.equal(acme.state, "failing");
    assert.equal(acme.failures, 1);
    assert.equal(acme.certificate, null);
    assert.match(acme.lastError, /connection|refused|127\.0\.0\.1/i);
    assert.match(await metrics(s), /^httpserver_acme_failures_total 1$/m);
    assert.equal(exists(join(storage, "certificate.pem")), false);
    // Flushed after the requests above: still the one line, saying what happens next.
    const lines = acmeLines(s, "error");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0]!,
      /cannot obtain a certificate for localhost from 127\.0\.0\.1:\d+ \(attempt 1\): .+; plain HTTP keeps serving; next attempt in 1h$/,
    );
  } finally {
    await server?.stop();
    await pebble.stop();
  }
});

Deno.test("two instances on one memcached get one certificate between them", async () => {
  const dir = tempDir();
  const portA = lowFreePort(); // pebble validates on A's port, whichever instance orders
  const pebble = await startPebble({ dir, httpPort: portA });
  const mc = await startMemcached();
  const servers: TestServer[] = [];
  try {
    const conf = (port: number, name: string) => ({
      conf: {
        Listen: `127.0.0.1:${port}`,
        Memcached: `127.0.0.1:${mc.port}`,
        MemcachedTimeout: "2s",
        ...acmeConf(pebble, join(dir, name)),
      },
    });
    servers.push(
      ...await Promise.all([
        startServer(conf(portA, "a")),
        startServer(conf(lowFreePort(), "b")),
      ]),
    );
    const [a, b] = servers as [TestServer, TestServer];
    const files = (n: string) => ["certificate.pem", "key.pem"].map((f) => join(dir, n, f));
    const installed = (s: TestServer) =>
      acmeLines(s, "notice").some((l) => /obtained from|taken from memcached/.test(l));
    await eventually(
      () => [...files("a"), ...files("b")].every(exists) && installed(a) && installed(b),
      ISSUE_MS,
      "both instances' certificates",
    );
    const read = (n: string) => files(n).map((f) => Deno.readTextFileSync(f));
    assert.deepEqual(read("a"), read("b"), "the same certificate and key");
    const notices = [...acmeLines(a, "notice"), ...acmeLines(b, "notice")];
    assert.equal(notices.filter((l) => /obtained from/.test(l)).length, 1, notices.join("\n"));
    assert.equal(
      notices.filter((l) => /taken from memcached/.test(l)).length,
      1,
      notices.join("\n"),
    );
    const orders = (await status(a)).acme.ordersTotal + (await status(b)).acme.ordersTotal;
    assert.equal(orders, 1);
    // The CA's validation reached A, which answered it (from memory, or from memcached when B
    // ordered).
    assert.ok(validations(a).length > 0);
    for (const l of validations(a)) assert.match(l, /" 200 /);
    assert.equal(validations(b).length, 0);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await mc.stop();
    await pebble.stop();
  }
});

/** Set a key in memcached through its text protocol. */
async function memcachedSet(port: number, key: string, value: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new TextEncoder().encode(`set ${key} 0 60 ${value.length}\r\n${value}\r\n`);
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "STORED\r\n");
  } finally {
    conn.close();
  }
}

Deno.test("an instance answers a challenge another instance sealed into memcached, and nothing unsealed", async () => {
  const dir = tempDir();
  const mc = await startMemcached();
  let server: TestServer | null = null;
  try {
    server = await startServer({
      conf: {
        Memcached: `127.0.0.1:${mc.port}`,
        MemcachedTimeout: "2s",
        TLSListen: `127.0.0.1:${lowFreePort()}`,
        ACME: "On",
        ACMEDomains: "localhost",
        // No CA answers here: this instance orders nothing itself.
        ACMEDirectory: `https://127.0.0.1:${lowFreePort()}/dir`,
        ACMEStorage: join(dir, "acme"),
        ACMERetry: "1h",
        SessionKey: KEY,
      },
    });
    // What the ordering instance does (acme/cluster.ts putToken), by hand.
    const token = "Xm0nLGeHI7b4Zs7AJh6wPq3uQYwD0p9K2zbCj0H_-yQ";
    const sealed = await new Sealer(KEY).seal(`${token}.thumbprint`, tokenContext(token));
    await memcachedSet(mc.port, `hs:acme:t:${token}`, sealed);
    const r = await fetch(`${server.url}/.well-known/acme-challenge/${token}`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), `${token}.thumbprint`);
    const unknown = await fetch(`${server.url}/.well-known/acme-challenge/${token.slice(1)}x`);
    await unknown.body?.cancel();
    assert.equal(unknown.status, 404);
    // Someone who can write memcached but lacks the session secret gets no answer served.
    const forged = "Q".repeat(43);
    await memcachedSet(mc.port, `hs:acme:t:${forged}`, `${forged}.attackers-account`);
    const refused = await fetch(`${server.url}/.well-known/acme-challenge/${forged}`);
    await refused.body?.cancel();
    assert.equal(refused.status, 404);
  } finally {
    await server?.stop();
    await mc.stop();
  }
});

Deno.test("start-up refuses ACME without TLSListen, ACMEStorage open to others, and ACME with Memcached but no shared SessionKey", async () => {
  const dir = tempDir();
  const storage = join(dir, "open");
  Deno.mkdirSync(storage, { mode: 0o755 });
  Deno.chmodSync(storage, 0o755);
  const base = {
    TLSListen: `127.0.0.1:${lowFreePort()}`,
    ACME: "On",
    ACMEDomains: "localhost",
    ACMEStorage: storage,
    SessionKey: KEY,
  };
  // ACME serves its certificate over HTTPS: without TLSListen it is refused, naming both keys.
  await assert.rejects(
    startServer({ conf: { ...base, TLSListen: "Off" } }),
    /http\.conf:\d+: ACME: ACME On requires TLSListen/,
  );
  await assert.rejects(
    startServer({ conf: base }),
    /http\.conf:\d+: ACMEStorage: ".*open" is open to other users \(mode 755\), and holds private keys: chmod 700 it/,
  );
  await assert.rejects(
    startServer({
      conf: {
        ...base,
        ACMEStorage: join(dir, "ok"),
        SessionKey: "",
        Memcached: "127.0.0.1:11211",
      },
    }),
    /http\.conf:\d+: ACME: with Memcached, the instances share the certificate through memcached, sealed with the session secret: set SessionKey or SessionKeyFile/,
  );
  await assert.rejects(
    startServer({
      conf: { ...base, ACMEStorage: join(dir, "ok2"), ACMECA: join(dir, "none.pem") },
    }),
    /http\.conf:\d+: ACMECA: cannot read ".*none\.pem"/,
  );
});
