import assert from "node:assert/strict";
import { type Parsed, parseResponse, requestBytes, targetOf } from "./http_client.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function summary(p: Parsed): string {
  if (p.kind !== "done") return p.kind === "error" ? `error: ${p.reason}` : "need-more";
  const r = p.response;
  return `${r.statusLine} | ${r.fields.map(([k, v]) => `${k}=${v}`).join(";")} | ` +
    `${text(r.body)} | +${p.consumed}${r.closeDelimited ? " close" : ""}`;
}

/** Parse as bytes arrive: every prefix needs more (or is the same answer), the whole is done. */
function scan(s: string, head = false): string {
  const b = bytes(s);
  const whole = summary(parseResponse(b, b.length, { head, eof: false }));
  for (let i = 0; i < b.length; i++) {
    const early = summary(parseResponse(b, i, { head, eof: false }));
    assert.ok(early === "need-more" || early === whole, `prefix ${i}: ${early}`);
  }
  return whole;
}

Deno.test("parseResponse() reads Content-Length, chunked and HEAD responses as they arrive", () => {
  const cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  assert.equal(
    scan(cl + "NEXT"),
    `HTTP/1.1 200 OK | Content-Length=5;X-A=b | hello | +${cl.length}`,
  );
  const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: 1\r\n\r\n";
  assert.equal(
    scan(chunked + "HTTP/1.1"),
    `HTTP/1.1 200 OK | Transfer-Encoding=chunked | hello | +${chunked.length}`,
  );
  const head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  assert.equal(scan(head, true), `HTTP/1.1 200 OK | Content-Length=5 |  | +${head.length}`);
  const nm = 'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n';
  assert.equal(scan(nm), `HTTP/1.1 304 Not Modified | ETag="a" |  | +${nm.length}`);
});

Deno.test("parseResponse() takes a body delimited by the close, and says what is wrong", () => {
  const b = bytes("HTTP/1.0 200 OK\r\n\r\nall of it");
  assert.equal(summary(parseResponse(b, b.length, { head: false, eof: false })), "need-more");
  assert.equal(
    summary(parseResponse(b, b.length, { head: false, eof: true })),
    "HTTP/1.0 200 OK |  | all of it | +28 close".replace("+28", `+${b.length}`),
  );
  const bad: Array<[string, RegExp]> = [
    ["HTTP/2 200 OK\r\n\r\n", /malformed status line/],
    ["HTTP/1.1 200 OK\r\nno colon\r\n\r\n", /malformed field line/],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /Content-Length/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", /Transfer-Encoding gzip/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /bad chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", /not followed by CRLF/],
  ];
  for (const [s, why] of bad) {
    assert.match(summary(parseResponse(bytes(s), s.length, { head: false, eof: false })), why, s);
  }
  const short = bytes("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
  assert.match(
    summary(parseResponse(short, short.length, { head: false, eof: true })),
    /after 3 of 9 bytes/,
  );
});

Deno.test("requestBytes() sends the target as given, Host first, and frames a body", () => {
  const r = requestBytes({
    method: "POST",
    target: "/../x",
    fields: [["A", "b"]],
    body: bytes("hi"),
  }, "h:1");
  assert.equal(text(r), "POST /../x HTTP/1.1\r\nHost: h:1\r\nA: b\r\nContent-Length: 2\r\n\r\nhi");
  assert.equal(
    text(requestBytes({ method: "GET", target: "/", noHost: true }, "h")),
    "GET / HTTP/1.1\r\n\r\n",
  );
});

Deno.test("targetOf() reads http and https URLs, with a path prefix", () => {
  assert.deepEqual(targetOf("http://127.0.0.1:8080"), {
    hostname: "127.0.0.1",
    port: 8080,
    tls: false,
    host: "127.0.0.1:8080",
    base: "",
  });
  assert.deepEqual(targetOf("https://[::1]/site/"), {
    hostname: "::1",
    port: 443,
    tls: true,
    host: "[::1]",
    base: "/site",
  });
  assert.throws(() => targetOf("ftp://x/"), TypeError);
});
