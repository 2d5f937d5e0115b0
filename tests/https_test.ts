/**
 * HTTPS on the real server: the start line, the same engine over TLS, the fields that depend on
 * the scheme, the access log, connections that go wrong before or during the handshake (closed,
 * one debug line, no descriptor left), and no Nagle stall. Needs openssl and curl.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../lib/http/test_assert.ts";
import { join } from "./helpers/paths.ts";
import {
  eventually,
  openFiles,
  REPO,
  RUN_FLAGS,
  startServer,
  type TestServer,
} from "./helpers/server.ts";
import { connectTls, makeLeaf, makePki, tlsConf } from "./helpers/tls.ts";

async function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let r;
  try {
    r = await new Deno.Command("curl", {
      args: ["-sS", "-m", "10", ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (e) {
    throw new Error(`curl is required for this test (apt-get install curl): ${e}`);
  }
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

const httpsUrl = (s: TestServer, path = "/") => `https://localhost:${s.tlsPort}${path}`;

Deno.test("HTTPS: the start line names both addresses; the same site over TLS; HSTS, Secure and the access log by scheme", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: { ...tlsConf(pki), HSTS: "max-age=600" } });
  try {
    assert.ok(s.tlsPort !== null && s.tlsPort !== s.port, s.stdout());
    assert.match(
      s.stdout(),
      new RegExp(
        `^httpserver listening on http://127\\.0\\.0\\.1:${s.port} and https://127\\.0\\.0\\.1:${s.tlsPort} \\(2 workers\\)$`,
        "m",
      ),
    );
    const tls = await curl([
      "--cacert",
      pki.ca,
      "-D",
      "-",
      "-o",
      join(s.dir, "got.html"),
      httpsUrl(s),
    ]);
    assertEquals(tls.code, 0, tls.err);
    assert.match(tls.out, /^HTTP\/1\.1 200 OK\r$/m);
    assert.match(tls.out, /^Strict-Transport-Security: max-age=600\r$/m);
    assert.match(tls.out, /^Set-Cookie: sid=[^\r]*; Secure\r$/m);
    assertEquals(
      Deno.readTextFileSync(join(s.dir, "got.html")),
      Deno.readTextFileSync(join(s.root, "index.html")),
    );
    const plain = await curl(["-D", "-", "-o", "/dev/null", `${s.url}/`]);
    assertEquals(plain.code, 0, plain.err);
    assert.doesNotMatch(plain.out, /Strict-Transport-Security/);
    assert.match(plain.out, /^Set-Cookie: sid=[^\r]*; Secure\r$/m, "TLS on: Secure everywhere");
    await eventually(() => s.readLog("access.log").split("\n").length >= 3, 3000, "two lines");
    // In either order: each worker hands its lines over on its own schedule.
    const lines = s.readLog("access.log").trim().split("\n");
    assertEquals(lines.length, 2, lines.join("\n"));
    assert.ok(
      lines.some((l) =>
        /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "curl\/[^"]+" https$/.test(l)
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /"GET \/ HTTP\/1\.1" 200 \d+ "-" "curl\/[^"]+" http$/.test(l)),
      lines.join("\n"),
    );
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("HTTPS: --tls-port 0 serves HTTPS on a free port beside Listen", async () => {
  const pki = await makePki();
  const s = await startServer({
    conf: { TLSCertificate: pki.cert, TLSKey: pki.key },
    args: ["--tls-port", "0"],
  });
  try {
    assert.ok(s.tlsPort !== null, s.stdout());
    const r = await curl([
      "--cacert",
      pki.ca,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      httpsUrl(s),
    ]);
    assertEquals(r.out, "200", r.err);
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("HTTPS: a certificate that does not match its key stops start-up naming the key", async () => {
  const pki = await makePki();
  const other = await makeLeaf(pki, "other", "other");
  const run = startServer({ conf: { ...tlsConf(pki), TLSKey: other.key } });
  await assert.rejects(run, /TLSCertificate: .*the key does not belong to the certificate/);
});

/** Read from a raw connection until it closes (or 5 s pass); the bytes received. */
/** Read until the server ends the connection or 5 s pass; `ended`: the server ended it. */
async function drain(conn: Deno.Conn): Promise<{ bytes: Uint8Array; ended: boolean }> {
  const out: number[] = [];
  const buf = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), 5000)));
  let ended = false;
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buf).catch(() => null), late]);
      if (n === "late") break;
      if (n === null) {
        ended = true;
        break;
      }
      out.push(...buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return { bytes: new Uint8Array(out), ended };
}

async function sockets(pid: number): Promise<number> {
  return (await openFiles(pid)).filter((l) => l.startsWith("socket:")).length;
}

Deno.test("HTTPS: plain HTTP, garbage, a stalled handshake and a drop without close_notify each close with one debug line and leave no descriptor", async () => {
  const pki = await makePki();
  const s = await startServer({
    conf: { ...tlsConf(pki), LogLevel: "debug", HeaderTimeout: "1s" },
  });
  try {
    const pid = s.proc.pid;
    const before = await sockets(pid);
    const lines = (re: RegExp) => s.readLog("error.log").split("\n").filter((l) => re.test(l));
    // 1. Plain HTTP sent to the HTTPS port: rustls answers with a TLS alert and closes.
    const plain = await Deno.connect({ hostname: "127.0.0.1", port: s.tlsPort! });
    const plainPort = (plain.localAddr as Deno.NetAddr).port;
    await plain.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const alert = await drain(plain);
    assertEquals(alert.bytes[0], 0x15, "a TLS alert record");
    // 2. A handshake record of garbage.
    const junk = await Deno.connect({ hostname: "127.0.0.1", port: s.tlsPort! });
    const junkPort = (junk.localAddr as Deno.NetAddr).port;
    const hello = new Uint8Array(64).fill(0xa5);
    hello.set([0x16, 0x03, 0x01, 0x00, 59]);
    await junk.write(hello);
    await drain(junk);
    // 3. A client that opens and never finishes its ClientHello: closed after HeaderTimeout.
    const stall = await Deno.connect({ hostname: "127.0.0.1", port: s.tlsPort! });
    const stallPort = (stall.localAddr as Deno.NetAddr).port;
    await stall.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00])); // promises 512 bytes
    assert.ok((await drain(stall)).ended, "closed by HeaderTimeout (1 s), not by drain's 5 s");
    // 4. A client killed after its request: no close_notify.
    const client = new Deno.Command("openssl", {
      args: ["s_client", "-quiet", "-connect", `127.0.0.1:${s.tlsPort}`, "-CAfile", pki.ca],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const w = client.stdin.getWriter();
    await w.write(new TextEncoder().encode("GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const reader = client.stdout.getReader();
    let got = "";
    while (!got.includes("\r\n\r\n")) {
      const r = await reader.read();
      if (r.done) break;
      got += new TextDecoder().decode(r.value);
    }
    assert.match(got, /^HTTP\/1\.1 200 OK/);
    client.kill("SIGKILL");
    await client.status;
    reader.releaseLock();
    await client.stdout.cancel().catch(() => {});
    await w.abort().catch(() => {});

    const at = (port: number) =>
      new RegExp(`\\[tls:debug\\].*\\[client 127\\.0\\.0\\.1:${port}\\] `);
    await eventually(
      () => lines(/close_notify/).length === 1 && lines(at(stallPort)).length === 1,
      5000,
      "the debug lines",
    );
    assertEquals(lines(at(plainPort)).length, 1);
    assert.match(
      lines(at(plainPort))[0]!,
      /TLS handshake failed: InvalidData: .*InvalidContentType/,
    );
    assertEquals(lines(at(junkPort)).length, 1);
    assert.match(lines(at(junkPort))[0]!, /TLS handshake failed: /);
    assert.match(lines(at(stallPort))[0]!, /TLS handshake not finished within HeaderTimeout/);
    assert.match(lines(/close_notify/)[0]!, /\[core:debug\].*connection ended: UnexpectedEof/);
    await eventually(async () => (await sockets(pid)) <= before, 5000, "the sockets closed");
    // And it still serves.
    const ok = await curl([
      "--cacert",
      pki.ca,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      httpsUrl(s),
    ]);
    assertEquals(ok.out, "200");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

/** Read one response (Content-Length or chunked) from a keep-alive connection. */
async function readResponse(
  conn: Deno.Conn,
  buf: Uint8Array,
): Promise<{ status: number; body: number }> {
  let have = new Uint8Array(0);
  const more = async () => {
    const n = await conn.read(buf);
    if (n === null) throw new Error("closed early");
    const next = new Uint8Array(have.length + n);
    next.set(have);
    next.set(buf.subarray(0, n), have.length);
    have = next;
  };
  const text = () => new TextDecoder("latin1").decode(have);
  while (!text().includes("\r\n\r\n")) await more();
  const headEnd = text().indexOf("\r\n\r\n") + 4;
  const head = text().slice(0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length !== null) {
    while (have.length < headEnd + Number(length[1])) await more();
    return { status, body: Number(length[1]) };
  }
  assert.match(head, /\r\ntransfer-encoding: chunked/i);
  while (!text().endsWith("\r\n0\r\n\r\n")) await more();
  return { status, body: have.length - headEnd };
}

/** Milliseconds of `n` request/response exchanges on one keep-alive connection, fastest first. */
async function exchangeTimes(conn: Deno.Conn, request: string, n: number): Promise<number[]> {
  const buf = new Uint8Array(256 * 1024);
  const bytes = new TextEncoder().encode(request);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await conn.write(bytes);
    const r = await readResponse(conn, buf);
    times.push(performance.now() - t0);
    assertEquals(r.status, 200);
  }
  return times.sort((a, b) => a - b);
}

const describeTimes = (t: number[]) =>
  `fastest ${t[0]!.toFixed(1)} ms, median ${t[t.length >> 1]!.toFixed(1)} ms of ${t.length}`;

// With Nagle on, a response written in several writes waits for the client's delayed ACK on
// every exchange: 40-48 ms each, measured with the listener's TCP_NODELAY removed (fastest 43
// ms). With it, an exchange takes well under a millisecond on an idle machine. The stall is a
// floor under every exchange while a loaded machine only adds delay, so the test bounds the
// fastest of 20 exchanges (< 20 ms): a median bound failed once in a full suite run at load 12
// (median 43 ms with NODELAY set: exchanges of 2-80 ms), and a bound on every exchange would fail
// on any busy CI machine. The chunked response is the one that stalls every time without
// NODELAY; a 100 KiB response stalls or not depending on the client's delayed-ACK state (it
// took 3 ms without NODELAY in this test, 44 ms in others), so it is checked the same way but
// cannot by itself catch the regression.
Deno.test("HTTPS: a 100 KiB response and a chunked (two-write) response on a keep-alive TLS connection take milliseconds, not the 40 ms Nagle stall", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: tlsConf(pki) });
  try {
    Deno.writeFileSync(join(s.root, "big.bin"), new Uint8Array(100 * 1024).fill(0x61));
    const conn = await connectTls(s.tlsPort!, pki.ca);
    try {
      const big = "GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n";
      const gzip = "GET / HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n";
      await exchangeTimes(conn, big, 3); // warm-up (JIT, file cache)
      await exchangeTimes(conn, gzip, 3);
      const bigMs = await exchangeTimes(conn, big, 20);
      const gzipMs = await exchangeTimes(conn, gzip, 20);
      assert.ok(bigMs[0]! < 20, `100 KiB: ${describeTimes(bigMs)}`);
      assert.ok(gzipMs[0]! < 20, `chunked: ${describeTimes(gzipMs)}`);
    } finally {
      conn.close();
    }
    assert.doesNotMatch(s.readLog("error.log"), /TCP_NODELAY/);
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("without --allow-ffi the server refuses to start and says why (the file layer and TLS need libc)", async () => {
  const pki = await makePki();
  const dir = await Deno.makeTempDir();
  try {
    const conf = join(dir, "http.conf");
    Deno.writeTextFileSync(
      conf,
      `Listen = 127.0.0.1:0\nDocumentRoot = ${join(REPO, "www", "html")}\n` +
        `ErrorPages = ${join(REPO, "error")}\nAccessLog = Off\nErrorLog = Off\nSessions = Off\n` +
        Object.entries(tlsConf(pki)).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n",
    );
    const r = await new Deno.Command(Deno.execPath(), {
      args: [...RUN_FLAGS.filter((f) => f !== "--allow-ffi"), join(REPO, "main.ts"), "-c", conf],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 1, err);
    assert.match(err, /--allow-ffi/);
    assert.doesNotMatch(new TextDecoder().decode(r.stdout), /listening/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTTPS: RedirectToHTTPS sends plain GET to the same URL over HTTPS (curl -L follows) and refuses a plain POST", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: { ...tlsConf(pki), RedirectToHTTPS: "On" } });
  try {
    const head = await curl([
      "-D",
      "-",
      "-o",
      "/dev/null",
      `http://localhost:${s.port}/hello.txt?a=1`,
    ]);
    assert.match(head.out, /^HTTP\/1\.1 308 Permanent Redirect\r$/m);
    assert.ok(
      head.out.includes(`\r\nLocation: https://localhost:${s.tlsPort}/hello.txt?a=1\r\n`),
      head.out,
    );
    const follow = await curl(["-L", "--cacert", pki.ca, `http://localhost:${s.port}/hello.txt`]);
    assertEquals(follow.out, Deno.readTextFileSync(join(s.root, "hello.txt")));
    const post = await curl(["-d", "x=1", "-o", "/dev/null", "-w", "%{http_code}", `${s.url}/`]);
    assertEquals(post.out, "403");
    const acme = await curl([
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `${s.url}/.well-known/acme-challenge/token`,
    ]);
    assertEquals(acme.out, "404", "challenges are not redirected");
  } finally {
    assertEquals(await s.stop(), 0);
  }
});

Deno.test("HTTPS: the status page counts requests and connections per scheme and shows the certificate", async () => {
  const pki = await makePki();
  const s = await startServer({ conf: { ...tlsConf(pki), ServerStatus: "On" } });
  try {
    for (let i = 0; i < 3; i++) {
      await curl(["--cacert", pki.ca, "-o", "/dev/null", httpsUrl(s, "/hello.txt")]);
    }
    await curl(["-o", "/dev/null", `${s.url}/hello.txt`]);
    type Https = {
      requests: { http: number; https: number };
      certificate: { names: string[] };
    };
    let https: Https | null = null;
    await eventually(
      async () => {
        const r = await curl([`${s.url}/server-status?json`]);
        https = (JSON.parse(r.out) as { instance: { https: Https } }).instance.https;
        return https.requests.https >= 3 && https.requests.http >= 1;
      },
      5000,
      "the counts (reported each 100 ms)",
    );
    assert.deepEqual((https as Https | null)?.certificate.names, ["localhost", "127.0.0.1"]);
    const metrics = await curl([`${s.url}/server-status/metrics`]);
    assert.match(metrics.out, /^httpserver_scheme_requests_total\{scheme="https"\} [1-9]/m);
    assert.match(
      metrics.out,
      /^httpserver_tls_certificate_not_after_seconds\{names="localhost 127\.0\.0\.1"\} \d+$/m,
    );
  } finally {
    assertEquals(await s.stop(), 0);
  }
});
