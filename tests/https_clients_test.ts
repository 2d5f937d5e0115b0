/**
 * Real clients over HTTPS, verifying the chain against a test CA made with openssl: curl
 * (keep-alive, ranges, PUT with authentication, --compressed), wget (byte-identical downloads),
 * openssl s_client (TLS 1.2 and 1.3 accepted, 1.0 and 1.1 refused, ALPN http/1.1), headless
 * Chromium trusting the CA through its NSS database, one certificate serving several names, and
 * Debian's testssl with no finding of severity HIGH or CRITICAL. Each program is required.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../lib/http/test_assert.ts";
import { launchChromium } from "./helpers/chromium.ts";
import { join } from "./helpers/paths.ts";
import { startServer, tempDir, type TestServer } from "./helpers/server.ts";
import { makeLeaf, makePki, tlsConf } from "./helpers/tls.ts";
import { writableServer, WRITER } from "./helpers/writable.ts";

async function run(
  cmd: string,
  args: string[],
  o: { pkg?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string }> {
  let r;
  try {
    r = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      ...(o.env === undefined ? {} : { env: o.env }),
    }).output();
  } catch (e) {
    throw new Error(`${cmd} is required for this test (apt-get install ${o.pkg ?? cmd}): ${e}`);
  }
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

const https = (s: TestServer, path = "/") => `https://localhost:${s.tlsPort}${path}`;

function sameBytes(a: string, b: string): boolean {
  const x = Deno.readFileSync(a);
  const y = Deno.readFileSync(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("curl over HTTPS: keep-alive reuse, a range, --compressed, and PUT with Basic authentication", async () => {
  const pki = await makePki();
  const { s, cleanup } = await writableServer(tlsConf(pki));
  try {
    const reuse = await run("curl", [
      "-sv",
      "--cacert",
      pki.ca,
      "-o",
      "/dev/null",
      "-o",
      "/dev/null",
      https(s, "/"),
      https(s, "/style.css"),
    ]);
    assertEquals(reuse.code, 0, reuse.err);
    assert.match(reuse.err, /SSL certificate verify ok/);
    assert.match(reuse.err, /ALPN: server accepted http\/1\.1/);
    assert.match(reuse.err, /Re-using existing connection/);
    assertEquals((reuse.err.match(/^\* +Trying /gm) ?? []).length, 1, "one TCP connection");

    const range = await run("curl", [
      "-s",
      "--cacert",
      pki.ca,
      "-r",
      "10-19",
      "-D",
      "-",
      https(s, "/hello.txt"),
    ]);
    assert.match(range.out, /^HTTP\/1\.1 206 Partial Content\r$/m);
    const body = range.out.slice(range.out.indexOf("\r\n\r\n") + 4);
    assertEquals(body, Deno.readTextFileSync(join(s.root, "hello.txt")).slice(10, 20));

    const dir = tempDir();
    const gz = await run("curl", [
      "-s",
      "--cacert",
      pki.ca,
      "--compressed",
      "-D",
      join(dir, "h"),
      "-o",
      join(dir, "page"),
      https(s, "/"),
    ]);
    assertEquals(gz.code, 0, gz.err);
    assert.match(Deno.readTextFileSync(join(dir, "h")), /^Content-Encoding: gzip\r$/m);
    assert.ok(sameBytes(join(dir, "page"), join(s.root, "index.html")));

    Deno.writeTextFileSync(join(dir, "up.txt"), "sent over TLS\n");
    const noAuth = await run("curl", [
      "-s",
      "--cacert",
      pki.ca,
      "-T",
      join(dir, "up.txt"),
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      https(s, "/up.txt"),
    ]);
    assertEquals(noAuth.out, "401");
    const put = await run("curl", [
      "-s",
      "--cacert",
      pki.ca,
      "-H",
      `Authorization: ${WRITER.Authorization}`,
      "-T",
      join(dir, "up.txt"),
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      https(s, "/up.txt"),
    ]);
    assertEquals(put.out, "201", put.err);
    assertEquals(Deno.readTextFileSync(join(s.root, "up.txt")), "sent over TLS\n");
  } finally {
    await cleanup();
  }
});

Deno.test("wget --ca-certificate downloads the site's files byte-identical over HTTPS", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: tlsConf(pki) });
  try {
    const dir = tempDir();
    for (const f of ["index.html", "images/logo.png", "docs/guide.pdf", "media/sample.webm"]) {
      const r = await run("wget", [
        "-q",
        "--ca-certificate",
        pki.ca,
        "-O",
        join(dir, "out"),
        https(s, `/${f}`),
      ]);
      assertEquals(r.code, 0, `wget ${f}: ${r.err}`);
      assert.ok(sameBytes(join(dir, "out"), join(s.root, f)), f);
    }
    const untrusted = await run("wget", ["-q", "-O", join(dir, "x"), https(s, "/")]);
    assertEquals(untrusted.code, 5, "wget refuses a certificate it cannot verify (exit 5)");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("openssl s_client: TLS 1.2 and 1.3 are accepted, 1.0 and 1.1 refused by the server, ALPN is http/1.1", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: tlsConf(pki) });
  try {
    const connect = (version: string) =>
      run("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${s.tlsPort}`,
        "-servername",
        "localhost",
        "-CAfile",
        pki.ca,
        `-${version}`,
        // The client's own security level would refuse TLS 1.0/1.1 before the server could.
        "-cipher",
        "DEFAULT@SECLEVEL=0",
        "-alpn",
        "h2,http/1.1",
      ]);
    for (const [v, name] of [["tls1_2", "TLSv1.2"], ["tls1_3", "TLSv1.3"]] as const) {
      const r = await connect(v);
      assert.match(r.out, new RegExp(`^New, ${name.replace(".", "\\.")}, Cipher is `, "m"), r.out);
      assert.match(r.out, /^ALPN protocol: http\/1\.1$/m, "h2 is not offered back");
      assert.match(r.out, /Verify return code: 0 \(ok\)/);
    }
    for (const v of ["tls1", "tls1_1"]) {
      const r = await connect(v);
      assert.match(r.err, /alert handshake failure|alert protocol version/, `${v}: ${r.err}`);
      assert.match(r.out, /Cipher is \(NONE\)/);
    }
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("one certificate serves several names (no SNI in Deno): curl verifies each name it lists", async () => {
  const pki = await makePki();
  const multi = await makeLeaf(pki, "multi", "a.test", [
    "DNS:a.test",
    "DNS:b.test",
    "DNS:localhost",
  ]);
  const s = await startServer({
    conf: { ...tlsConf(pki), TLSCertificate: multi.cert, TLSKey: multi.key },
  });
  try {
    for (const name of ["a.test", "b.test"]) {
      const r = await run("curl", [
        "-s",
        "--cacert",
        pki.ca,
        "--resolve",
        `${name}:${s.tlsPort}:127.0.0.1`,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `https://${name}:${s.tlsPort}/`,
      ]);
      assertEquals(r.out, "200", `${name}: ${r.err}`);
    }
    const other = await run("curl", [
      "-s",
      "--cacert",
      pki.ca,
      "--resolve",
      `c.test:${s.tlsPort}:127.0.0.1`,
      `https://c.test:${s.tlsPort}/`,
    ]);
    assertEquals(other.code, 60, "a name the certificate does not list fails verification");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("Chromium loads the site over HTTPS, trusting the test CA through its NSS database", async () => {
  const pki = await makePki();
  const home = tempDir();
  const nss = join(home, ".pki", "nssdb");
  Deno.mkdirSync(nss, { recursive: true });
  const init = await run("certutil", ["-N", "-d", `sql:${nss}`, "--empty-password"], {
    pkg: "libnss3-tools",
  });
  assertEquals(init.code, 0, init.err);
  const add = await run("certutil", [
    "-d",
    `sql:${nss}`,
    "-A",
    "-t",
    "C,,",
    "-n",
    "httpserver-test",
    "-i",
    pki.ca,
  ], { pkg: "libnss3-tools" });
  assertEquals(add.code, 0, add.err);
  const s = await startServer({ conf: { ...tlsConf(pki), HSTS: "max-age=60" } });
  const browser = await launchChromium({ home });
  try {
    await browser.navigate(https(s, "/"));
    const page = await browser.evaluate<
      { href: string; title: string; protocol: string; sheets: number }
    >(
      `(async () => ({
        href: location.href,
        title: document.title,
        protocol: performance.getEntriesByType("navigation")[0]?.nextHopProtocol ?? "",
        sheets: [...document.styleSheets].filter((s) => { try { return s.cssRules.length > 0; } catch { return false; } }).length,
      }))()`,
    );
    assertEquals(page.href, https(s, "/"), "no certificate error page");
    assertEquals(
      page.title,
      /<title>([^<]*)<\/title>/.exec(Deno.readTextFileSync(join(s.root, "index.html")))?.[1],
    );
    assertEquals(page.protocol, "http/1.1");
    assert.ok(page.sheets > 0, "the stylesheet loaded over HTTPS");
  } finally {
    await browser.close();
    assertEquals(await s.stop(), 0);
    Deno.removeSync(home, { recursive: true });
  }
});

// testssl's whole scan takes 5-15 minutes on a loaded 2-core machine (each check forks openssl
// and bash many times), far beyond a CI test. This runs what the server's TLS setup decides
// (protocols, cipher categories, forward secrecy); README "HTTPS" says what the full scan
// finds and why (server cipher order, certificate checks, BREACH).
Deno.test("testssl (protocols, ciphers, forward secrecy): no finding of severity HIGH or CRITICAL", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: tlsConf(pki) });
  try {
    const json = join(tempDir(), "testssl.json");
    const r = await run("testssl", [
      "--quiet",
      "--color",
      "0",
      "--warnings",
      "off",
      "--nodns",
      "none",
      "--jsonfile",
      json,
      "--protocols",
      "--std",
      "--fs",
      `https://127.0.0.1:${s.tlsPort}`,
    ], { pkg: "testssl.sh", timeoutMs: 300_000 });
    const findings = JSON.parse(Deno.readTextFileSync(json)) as Array<
      { id: string; severity: string; finding: string }
    >;
    const by = (id: string) => findings.find((f) => f.id === id);
    assert.ok(findings.length > 10, `testssl ran (exit ${r.code}): ${r.out.slice(-500)}`);
    assert.ok(!findings.some((f) => f.severity === "FATAL"), JSON.stringify(findings));
    const bad = findings.filter((f) => f.severity === "HIGH" || f.severity === "CRITICAL");
    assertEquals(bad, []);
    assertEquals(by("TLS1_2")?.finding, "offered");
    assert.match(by("TLS1_3")?.finding ?? "", /^offered/);
    for (const old of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]) {
      assertEquals(by(old)?.finding, "not offered", old);
    }
  } finally {
    assertEquals(await s.stop(), 0);
  }
});
