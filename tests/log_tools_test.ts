/**
 * The logs with the tools people use: Debian's real logrotate, with the shipped
 * deploy/logrotate/httpserver, rotating the logs of a server under load; and goaccess reading
 * an access log written by every kind of response.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { eventually, rawExchange, REPO, startServer, statusOf } from "./helpers/server.ts";

async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`${cmd} is not installed (apt-get install ${cmd}): this test needs it`);
    }
    throw e;
  }
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

const lines = (path: string) => Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");

/** The shipped logrotate config, pointed at `logs` and at process `pid` instead of systemd. */
function logrotateConfig(logs: string, pid: number): string {
  const shipped = Deno.readTextFileSync(join(REPO, "deploy", "logrotate", "httpserver"));
  const pathLine = /^\/opt\/httpserver\/logs\/\*\.log \{$/m;
  const signalLine = /^\s*systemctl kill --signal=USR1 --kill-whom=main httpserver\.service .*$/m;
  assert.match(shipped, pathLine, "the shipped config rotates /opt/httpserver/logs/*.log");
  assert.match(shipped, signalLine, "the shipped config sends SIGUSR1 to the service");
  return shipped.replace(pathLine, `${logs}/*.log {`)
    .replace(signalLine, `        kill -USR1 ${pid}`);
}

Deno.test("logrotate -f with the shipped config, under load: new lines go to new files, none is lost", async () => {
  const s = await startServer({ workers: 2 });
  const logs = join(s.dir, "logs");
  const conf = join(s.dir, "logrotate.conf");
  const state = join(s.dir, "logrotate.state");
  Deno.writeTextFileSync(conf, logrotateConfig(logs, s.proc.pid));
  Deno.chmodSync(conf, 0o644); // logrotate ignores a config others can write
  const get = async (target: string) =>
    statusOf(
      await rawExchange(s.port, `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
    );
  let stress: Deno.ChildProcess | null = null;
  try {
    assert.equal(await get("/hello.txt?before-rotation"), 200);
    // Bounded load from the stress tool: 8 keep-alive clients for 4 s.
    stress = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", join(REPO, "tools", "stress.ts"), "-c", "8", "-d", "4", s.url],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const access = join(logs, "access.log");
    await eventually(() => lines(access).length > 200, 10_000, "load in the access log");
    const r = await run("logrotate", ["-f", "-s", state, conf]);
    assert.equal(r.code, 0, r.err);
    assert.ok(Deno.statSync(join(logs, "access.log.1")).isFile, "the old log was renamed");
    // The new error.log says the logs were reopened; from then on lines go to the new files.
    await eventually(
      () => {
        try {
          return /caught SIGUSR1, logs reopened/.test(
            Deno.readTextFileSync(join(logs, "error.log")),
          );
        } catch {
          return false;
        }
      },
      10_000,
      "the reopen notice in the new error.log",
    );
    assert.equal(await get("/hello.txt?after-rotation"), 200);
    const out = new TextDecoder().decode((await stress.output()).stdout);
    stress = null;
    assert.match(out, /^errors {4}0$/m, out);
    const sent = Number(/^requests {2}(\d+) /m.exec(out)![1]);
    assert.equal(await s.stop(), 0); // logs flushed
    const old = lines(join(logs, "access.log.1"));
    const fresh = lines(access);
    // Every response has its line, in one file or the other: the load, and the two markers.
    assert.equal(old.length + fresh.length, sent + 2, `old ${old.length} + new ${fresh.length}`);
    assert.ok(old.some((l) => l.includes("?before-rotation")));
    assert.ok(fresh.some((l) => l.includes("?after-rotation")), "a request after the reopen");
    assert.ok(!old.some((l) => l.includes("?after-rotation")));
    assert.ok(fresh.length > 1 && old.length > 200);
    for (const l of [...old, ...fresh]) assert.match(l, /^127\.0\.0\.1 - - \[.+\] ".+" \d{3} /, l);
    assert.match(Deno.readTextFileSync(join(logs, "error.log.1")), /listening on/);
  } finally {
    stress?.kill();
    await stress?.status;
    await s.stop();
  }
});

/** One raw exchange: the status the server answered, or 0 for none. */
async function status(port: number, bytes: string | Uint8Array, idleMs = 3000): Promise<number> {
  return statusOf(await rawExchange(port, bytes, { idleMs }));
}

Deno.test("goaccess --log-format=COMBINED reads an access log of every kind of response with no invalid line", async () => {
  const s = await startServer({
    workers: 1,
    conf: {
      HeaderTimeout: "1s",
      MaxBodySize: "1k",
      MaxSimultaneousConnections: "2",
      LogNotFound: "Off",
    },
  });
  const seen = new Set<number>();
  const expect = async (want: number, bytes: string | Uint8Array) => {
    const got = await status(s.port, bytes);
    assert.equal(got, want, typeof bytes === "string" ? bytes.slice(0, 60) : "bytes");
    seen.add(got);
  };
  const req = (line: string, fields = "") =>
    `${line}\r\nHost: a\r\n${fields}Connection: close\r\n\r\n`;
  try {
    await expect(
      200,
      req(
        "GET /index.html HTTP/1.1",
        'User-Agent: a "quoted" \\ agent\r\nReferer: http://x/?a="b"\r\n',
      ),
    );
    await expect(200, req("HEAD /hello.txt HTTP/1.1"));
    await expect(200, req("POST /hello.txt HTTP/1.1", "Content-Length: 3\r\n") + "a=1");
    await expect(206, req("GET /hello.txt HTTP/1.1", "Range: bytes=0-9\r\n"));
    const etag =
      /^ETag: (.+)\r$/m.exec(await rawExchange(s.port, req("GET /style.css HTTP/1.1")))![1];
    await expect(304, req("GET /style.css HTTP/1.1", `If-None-Match: ${etag}\r\n`));
    await expect(301, req("GET /docs HTTP/1.1"));
    await expect(403, req("GET /images/ HTTP/1.1"));
    await expect(404, req("GET /nope.html?q=%22x%22 HTTP/1.1"));
    await expect(412, req("GET /hello.txt HTTP/1.1", 'If-Match: "nope"\r\n'));
    await expect(416, req("GET /hello.txt HTTP/1.1", "Range: bytes=9999-\r\n"));
    await expect(400, "GET /x HTTP/1.1\r\nHost: a\r\n bad fold\r\n\r\n");
    await expect(
      400,
      Uint8Array.from([
        0x16,
        0x03,
        0x01,
        0x02,
        0x00,
        0x01,
        0x00,
        0x01,
        0xfc,
        0x0d,
        0x0a,
        0x0d,
        0x0a,
      ]),
    ); // TLS to HTTP
    await expect(400, 'GET /caf\xc3\xa9/"quote"\\ HTTP/1.1\r\nHost: a\r\n\r\n'); // odd bytes
    await expect(413, req("POST /upload HTTP/1.1", "Content-Length: 999999\r\n"));
    await expect(414, req(`GET /${"a".repeat(9000)} HTTP/1.1`));
    await expect(431, req("GET / HTTP/1.1", `X-Big: ${"b".repeat(17000)}\r\n`));
    await expect(501, req("FROB / HTTP/1.1"));
    await expect(505, req("GET / HTTP/2.0"));
    // 408: a head that never ends.
    await expect(408, "GET /slow HTTP/1.1\r\nHost: a\r\n");
    // 503: two connections hold this worker's two slots, each busy sending a big file the
    // client does not read (a full server closes a connection that waits for a head instead of
    // refusing, but never a busy one), so the third is refused.
    Deno.writeFileSync(join(s.root, "held.bin"), new Uint8Array(8 << 20));
    const holders = [await Deno.connect({ port: s.port }), await Deno.connect({ port: s.port })];
    for (const h of holders) {
      await h.write(new TextEncoder().encode("GET /held.bin HTTP/1.1\r\nHost: a\r\n\r\n"));
      assert.ok((await h.read(new Uint8Array(16))) !== null, "the held response started");
    }
    try {
      await eventually(
        async () => (await status(s.port, req("GET / HTTP/1.1"), 1500)) === 503,
        5000,
        "a 503",
      );
      seen.add(503);
    } finally {
      for (const h of holders) h.close();
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
  const log = join(s.dir, "logs", "access.log");
  const logged = lines(log);
  for (const code of seen) {
    assert.ok(logged.some((l) => l.includes(`" ${code} `)), `${code} logged`);
  }
  const json = join(s.dir, "goaccess.json");
  const invalid = join(s.dir, "invalid.txt");
  const r = await run("goaccess", [
    log,
    "--log-format=COMBINED",
    "--no-global-config",
    "-o",
    json,
    `--invalid-requests=${invalid}`,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(Deno.readTextFileSync(invalid), "", "goaccess found no invalid line");
  const report = JSON.parse(Deno.readTextFileSync(json));
  assert.equal(report.general.failed_requests, 0);
  assert.equal(report.general.total_requests, logged.length);
  assert.equal(report.general.valid_requests, logged.length);
  // goaccess read the status of each line from the right field.
  const statuses = new Set<number>();
  for (const group of report.status_codes.data) {
    for (const item of group.items) statuses.add(Number(String(item.data).slice(0, 3)));
  }
  for (const code of seen) assert.ok(statuses.has(code), `goaccess counted ${code}`);
  assert.equal(seen.size, 16, [...seen].join(" "));
});
