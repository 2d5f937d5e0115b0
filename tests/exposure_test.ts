/**
 * Black-box test: no response tells a client how the server is built or where it lives. Every
 * error kind is forced through the real server (parser 400s, 404, 403, 405, 408, 409, 411,
 * 412, 413, 414, 415, 416, 417, 429, 431, 500 from a file that cannot be read and from a write
 * the file system refuses, disk full, 501, 503 over capacity, 505), and no status line, header or body may contain a stack
 * frame, an error message of the runtime, the document root, the config path, the Deno, V8 or
 * TypeScript version, or our version (ServerTokens Prod).
 *
 * Needs root: the server runs in its own mount namespace (`unshare -m`, util-linux) with a
 * read-only folder and a 64 KiB one mounted into its document root.
 */
import assert from "node:assert/strict";
import { passwordLine } from "../lib/auth/password_file.ts";
import { SERVER_VERSION } from "../lib/config/defaults.ts";
import { assertEquals } from "../lib/http/test_assert.ts";
import { exchangeFrom, RawClient } from "./helpers/from_address.ts";
import { join } from "./helpers/paths.ts";
import {
  rawExchange,
  REPO,
  startServer,
  statusOf,
  tempDir,
  type TestServer,
} from "./helpers/server.ts";

const ALICE = "Basic " + btoa("alice:right");
const WRONG = (i: number) => "Basic " + btoa(`alice:wrong-${i}`);

/** Requests over their own connection from 127.0.0.1, and the status each must get. */
function cases(): Array<[string, number | number[], string]> {
  const req = (line: string, fields = "", body = "") =>
    `${line}\r\nHost: a\r\n${fields}Connection: close\r\n\r\n${body}`;
  return [
    ["parser: no Host", 400, "GET / HTTP/1.1\r\n\r\n"],
    ["parser: obs-fold", 400, "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n fold\r\n\r\n"],
    ["parser: bare LF", 400, "GET / HTTP/1.1\nHost: a\n\n"],
    ["parser: bad chunk", 400, req("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n", "zz\r\n")],
    ["parser: NBSP", 400, req("POST / HTTP/1.1", "Content-Length: \xa01\r\n", "x")],
    ["parser: bad target", 400, req("GET /a\\b HTTP/1.1")],
    ["parser: control byte", 400, "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"],
    ["parser: dot segment", 400, req("GET /../../etc/passwd HTTP/1.1")],
    ["parser: bad escape", 400, req("GET /%zz HTTP/1.1")],
    ["missing file", 404, req("GET /missing.html HTTP/1.1")],
    ["encoded slash", 404, req("GET /docs%2fx HTTP/1.1")],
    ["unreadable file", 403, req("GET /secret.txt HTTP/1.1")],
    ["write off-limits", 403, req("DELETE /elsewhere/x HTTP/1.1", `Authorization: ${ALICE}\r\n`)],
    ["folder takes no POST", 405, req("POST /docs/sub/ HTTP/1.1", "Content-Length: 1\r\n", "x")],
    ["status page POST", 405, req("POST /server-status HTTP/1.1", "Content-Length: 0\r\n")],
    [
      "PUT on a folder",
      405,
      req("PUT /docs HTTP/1.1", `Authorization: ${ALICE}\r\nContent-Length: 1\r\n`, "x"),
    ],
    [
      "parent folder missing",
      409,
      req("PUT /docs/none/x.txt HTTP/1.1", `Authorization: ${ALICE}\r\nContent-Length: 1\r\n`, "x"),
    ],
    ["no credentials", 401, req("PUT /x.txt HTTP/1.1", "Content-Length: 1\r\n", "x")],
    ["no length", 411, req("PUT /x.txt HTTP/1.1", `Authorization: ${ALICE}\r\n`)],
    ["failed precondition", 412, req("GET /hello.txt HTTP/1.1", 'If-Match: "nope"\r\n')],
    ["body too large", 413, req("PUT /x.txt HTTP/1.1", "Content-Length: 99999999999\r\n")],
    ["target too long", 414, req(`GET /${"a".repeat(9000)} HTTP/1.1`)],
    [
      "content coding",
      415,
      req(
        "PUT /x.txt HTTP/1.1",
        `Authorization: ${ALICE}\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n`,
        "x",
      ),
    ],
    ["range past the end", 416, req("GET /hello.txt HTTP/1.1", "Range: bytes=999999-\r\n")],
    ["expectation", 417, req("GET / HTTP/1.1", "Expect: tea\r\n")],
    ["header too large", 431, req("GET / HTTP/1.1", `X: ${"a".repeat(17000)}\r\n`)],
    ["too many fields", 431, req("GET / HTTP/1.1", "X: 1\r\n".repeat(101))],
    ["a file that cannot be read", 500, req("GET /unreadable.bin HTTP/1.1")],
    [
      "read-only file system",
      500,
      req("POST /ro/ HTTP/1.1", `Authorization: ${ALICE}\r\nContent-Length: 5\r\n`, "hello"),
    ],
    [
      "disk full",
      [500, 507],
      req(
        "POST /full/ HTTP/1.1",
        `Authorization: ${ALICE}\r\nContent-Length: 100000\r\n`,
        "x".repeat(100_000),
      ),
    ],
    ["unknown method", 501, req("BREW /pot HTTP/1.1")],
    ["HTTP/2.0", 505, req("GET / HTTP/2.0")],
    ["HTTP/0.9", 505, "GET / HTTP/0.9\r\n\r\n"],
    ["redirect", 301, req("GET /docs HTTP/1.1")],
  ];
}

/** What no response may contain, with why. */
function forbidden(s: TestServer): Array<[RegExp | string, string]> {
  const realRoot = Deno.realPathSync(s.root);
  return [
    [/\bat [^\r\n]*:\d+:\d+/, "a stack frame"],
    [/file:\/\//, "a module URL"],
    [/\.(ts|js|mjs)\b/, "a source file name"],
    [/\w+Error\b|\bos error\b|errno|EROFS|ENOSPC|EACCES/i, "a runtime error name or code"],
    [/No such file|Read-only file system|No space left|Permission denied/i, "an OS message"],
    [s.root, "the document root"],
    [realRoot, "the document root's real path"],
    [s.dir, "the folder of the config file"],
    [join(s.dir, "http.conf"), "the config path"],
    [REPO, "the install folder"],
    [/\/work\/|\/tmp\/|\/home\/|\/root\//, "a file-system path"],
    [Deno.version.deno, "the Deno version"],
    [Deno.version.v8, "the V8 version"],
    [Deno.version.typescript, "the TypeScript version"],
    [/\bdeno\b|\bv8\b/i, "the runtime's name"],
    [SERVER_VERSION, "our version (ServerTokens Prod)"],
  ];
}

function exposed(response: string, s: TestServer): string[] {
  const found: string[] = [];
  for (const [what, why] of forbidden(s)) {
    if (typeof what === "string" ? response.includes(what) : what.test(response)) found.push(why);
  }
  return found;
}

Deno.test("no response, whatever its error, shows a stack, a path or a version", async () => {
  const passwords = join(tempDir(), "passwords");
  Deno.writeTextFileSync(passwords, `${await passwordLine("alice", "right")}\n`);
  const s = await startServer({
    workers: 1,
    conf: {
      WriteAccess: "On",
      PasswordFile: passwords,
      WritePaths: "/x.txt /docs /ro/ /full/",
      UploadPaths: "/ro/ /full/",
      ServerStatus: "On",
      ServerStatusAllow: "127.0.0.1",
      HeaderTimeout: "1s",
      AuthAttemptsPerSecond: "1",
      MaxSimultaneousConnections: "8",
      MaxConnectionsPerClient: "4",
    },
    wrap(root) {
      Deno.writeTextFileSync(join(root, "secret.txt"), "not for you");
      Deno.chmodSync(join(root, "secret.txt"), 0o000);
      Deno.writeTextFileSync(join(root, "unreadable.bin"), "");
      Deno.mkdirSync(join(root, "ro"));
      Deno.mkdirSync(join(root, "full"));
      Deno.mkdirSync(join(root, "docs", "sub"), { recursive: true });
      // In a mount namespace of its own: a read-only folder and a 64 KiB one, gone with it.
      // And a file the server cannot read, as on a failing disk: the mount command's
      // /proc/self/mem, which no open succeeds on once that process is gone.
      const mounts = `mount -t tmpfs -o ro,size=64k tmpfs '${join(root, "ro")}' && ` +
        `mount -t tmpfs -o size=64k tmpfs '${join(root, "full")}' && ` +
        `mount --bind /proc/self/mem '${join(root, "unreadable.bin")}'`;
      return ["unshare", "-m", "sh", "-c", `${mounts} && exec "$@"`, "sh"];
    },
  });
  const seen: Array<[string, number, string]> = [];
  const held: RawClient[] = [];
  try {
    for (const [name, expected, request] of cases()) {
      const r = await rawExchange(s.port, request, { idleMs: 5000 });
      const want = typeof expected === "number" ? [expected] : expected;
      assert.ok(want.includes(statusOf(r)), `${name}: ${statusOf(r)}\n${r.slice(0, 300)}`);
      seen.push([name, statusOf(r), r]);
    }
    // 403: the status page for a client not in ServerStatusAllow.
    const other = await exchangeFrom(
      s.port,
      "127.0.0.2",
      "GET /server-status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assertEquals(statusOf(other), 403);
    seen.push(["status page refused", 403, other]);
    // 429: wrong passwords beyond AuthAttemptsPerSecond.
    let throttled = "";
    for (let i = 0; i < 5 && statusOf(throttled) !== 429; i++) {
      throttled = await exchangeFrom(
        s.port,
        "127.0.0.3",
        `PUT /x.txt HTTP/1.1\r\nHost: a\r\nAuthorization: ${
          WRONG(i)
        }\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`,
      );
    }
    assertEquals(statusOf(throttled), 429);
    seen.push(["password checks throttled", 429, throttled]);
    // 408: a head that never ends.
    const slow = await RawClient.connect(s.port, "127.0.0.4");
    held.push(slow);
    await slow.send("GET / HTTP/1.1\r\nHost: a\r\n");
    assert.ok(await slow.until((c) => c.closed, 10_000), "408 closes");
    assertEquals(statusOf(slow.received), 408);
    seen.push(["head timeout", 408, slow.received]);
    // 503: over MaxConnectionsPerClient (4), then over MaxSimultaneousConnections (8), with
    // every connection busy sending a body.
    const busy = "PUT /x.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
    for (const from of ["127.0.0.5", "127.0.0.6"]) {
      for (let i = 0; i < 4; i++) {
        const c = await RawClient.connect(s.port, from);
        held.push(c);
        await c.send(busy);
      }
      await new Promise((r) => setTimeout(r, 100));
      const over = await exchangeFrom(s.port, from, busy);
      assertEquals(statusOf(over), 503, from);
      seen.push([`over capacity (${from})`, 503, over]);
    }
    const full = await exchangeFrom(s.port, "127.0.0.7", busy);
    assertEquals(statusOf(full), 503);
    seen.push(["server full", 503, full]);
  } finally {
    for (const c of held) c.close();
    assertEquals(await s.stop(), 0);
  }
  for (const [name, status, response] of seen) {
    assertEquals(
      exposed(response, s),
      [],
      `${name} (${status}) exposes:\n${response.slice(0, 600)}`,
    );
    assert.match(response, /\r\nServer: httpserver\r\n/, name);
  }
  // Every kind was forced.
  const statuses = new Set(seen.map(([, st]) => st));
  for (
    const st of [
      400,
      401,
      403,
      404,
      405,
      408,
      409,
      411,
      412,
      413,
      414,
      415,
      416,
      417,
      429,
      431,
      500,
      501,
      503,
      505,
    ]
  ) {
    assert.ok(statuses.has(st), `no ${st} forced`);
  }
  // The error log, by contrast, has what the operator needs.
  const log = s.readLog("error.log");
  assert.match(log, /Read-only file system/);
  assert.match(log, /unreadable\.bin/);
});
