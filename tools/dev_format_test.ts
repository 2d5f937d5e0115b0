// deno-lint-ignore-file no-control-regex -- the subject of these tests is ANSI escape codes
import assert from "node:assert/strict";
import {
  humanBytes,
  paint,
  parseAccessLine,
  requestLine,
  restartsOn,
  stderrLine,
} from "./dev_format.ts";

const plain = paint(false);
const colour = paint(true);

Deno.test("parseAccessLine() reads our Combined Log Format lines, escapes included", () => {
  const l =
    '127.0.0.1 - - [07/Dec/2026:04:26:48 +0000] "GET /a\\"b HTTP/1.1" 404 793 "-" "x \\"y\\""';
  assert.deepEqual(parseAccessLine(l), {
    client: "127.0.0.1",
    time: "04:26:48",
    request: 'GET /a\\"b',
    status: 404,
    bytes: 793,
  });
  assert.equal(parseAccessLine('::1 - - [07/Dec/2026:04:26:48 +0000] "-" 408 - "-" "-"')?.bytes, 0);
  assert.equal(parseAccessLine("garbage"), null);
});

Deno.test("requestLine() colours by status class, and not at all without colour", () => {
  const a = { client: "127.0.0.1", time: "04:26:48", request: "GET /", status: 200, bytes: 2550 };
  assert.equal(requestLine(a, plain), "04:26:48 200 GET / 2.5 KiB 127.0.0.1");
  assert.match(requestLine(a, colour), /\x1b\[32m200\x1b\[39m/);
  assert.match(requestLine({ ...a, status: 304 }, colour), /\x1b\[36m304/);
  assert.match(requestLine({ ...a, status: 404 }, colour), /\x1b\[33m404/);
  assert.match(requestLine({ ...a, status: 503 }, colour), /\x1b\[31m503/);
  assert.doesNotMatch(requestLine({ ...a, status: 503 }, plain), /\x1b/);
  assert.deepEqual([humanBytes(10), humanBytes(2048), humanBytes(3 * 1024 * 1024)], [
    "10 B",
    "2.0 KiB",
    "3.0 MiB",
  ]);
});

Deno.test("stderrLine() shortens error-log lines and colours warnings and errors", () => {
  const warn = "[Mon Dec 07 04:26:46.791000 2026] [core:warn] [pid 1:tid 0] no SessionKey";
  assert.equal(stderrLine(warn, plain), "04:26:46 warn  no SessionKey");
  assert.match(stderrLine(warn, colour), /\x1b\[33mwarn /);
  const crit =
    "[Mon Dec 07 04:26:46.791000 2026] [core:crit] [pid 1:tid 2] [client 1.2.3.4:5] boom";
  assert.equal(stderrLine(crit, plain), "04:26:46 crit  boom [1.2.3.4:5]");
  assert.match(stderrLine(crit, colour), /\x1b\[31mcrit /);
  assert.equal(
    stderrLine("httpserver: http.conf:3: Bogus: unknown key", plain),
    "httpserver: http.conf:3: Bogus: unknown key",
  );
  assert.match(stderrLine("httpserver: bad", colour), /^\x1b\[31m/);
});

Deno.test("restartsOn() takes code, the config and error pages, not editor scratch files", () => {
  const w = {
    lib: "/r/lib",
    main: "/r/main.ts",
    config: "/etc/h/http.conf",
    pages: ["/r/error", "/p/404.html"],
  };
  for (
    const yes of [
      "/r/main.ts",
      "/r/lib/a/b.ts",
      "/etc/h/http.conf",
      "/r/error/404.html",
      "/r/error/error.css",
      "/p/404.html",
    ]
  ) {
    assert.ok(restartsOn(yes, w), yes);
  }
  for (
    const no of [
      "/r/lib/a/.b.ts.swp",
      "/r/lib/README.md",
      "/etc/h/other.conf",
      "/r/logs/access.log",
      "/r/error/404.html~",
      "/etc/h/4913",
      "/r/main.ts.bak",
      "/p/500.html",
    ]
  ) {
    assert.ok(!restartsOn(no, w), no);
  }
});
