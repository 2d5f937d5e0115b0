import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHeaderParser, type ProxyResult, V1_MAX_BYTES } from "./proxy_protocol.ts";

const MAX_V2 = 4096;
const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Feed pieces in order; the result and where the client's bytes start in the whole input. */
function feedPieces(pieces: Uint8Array[]): string {
  const p = new ProxyHeaderParser(MAX_V2);
  let offset = 0;
  for (const piece of pieces) {
    const r = p.feed(piece);
    if (r.kind !== "need-more") return summary(r, offset);
    offset += piece.length;
  }
  return "need-more";
}

function summary(r: ProxyResult, offset: number): string {
  if (r.kind === "error") return `error: ${r.reason}`;
  if (r.kind === "need-more") return "need-more";
  const src = r.source === null ? "connection" : `${r.source.ip} ${r.source.port}`;
  return `done ${src} +${offset + r.consumed}`;
}

/** Whole, split at every offset into two, and byte by byte: all must agree. */
function scan(bytes: Uint8Array): string {
  const whole = feedPieces([bytes]);
  for (let i = 1; i < bytes.length; i++) {
    const split = feedPieces([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.equal(split, whole, `split at ${i}`);
  }
  assert.equal(feedPieces(Array.from(bytes, (b) => Uint8Array.of(b))), whole, "byte by byte");
  return whole;
}

function v2(cmd: number, fam: number, body: number[]): Uint8Array {
  return Uint8Array.from([
    ...V2_SIG,
    0x20 | cmd,
    fam,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

Deno.test("ProxyHeaderParser reads v1 TCP4, TCP6 and UNKNOWN, whole and split at every byte", () => {
  const cases: Array<[string, string]> = [
    ["PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n", "192.0.2.1 51234"],
    ["PROXY TCP6 2001:DB8::1 2001:db8::2 1 65535\r\n", "2001:db8::1 1"],
    ["PROXY TCP6 ::ffff:10.0.0.1 ::1 80 80\r\n", "10.0.0.1 80"],
    ["PROXY UNKNOWN\r\n", "connection"],
    ["PROXY UNKNOWN 1.2.3.4 whatever\r\n", "connection"],
    ["PROXY TCP4 0.0.0.0 255.255.255.255 0 0\r\n", "0.0.0.0 0"],
  ];
  for (const [header, source] of cases) {
    // The client's bytes that follow are not the header's: consumed stops at the LF.
    const want = `done ${source} +${header.length}`;
    assert.equal(scan(latin1(header + GET)), want, header);
    assert.equal(scan(latin1(header)), want, header);
  }
});

Deno.test("ProxyHeaderParser refuses malformed v1 headers, whole and split at every byte", () => {
  const bad: Array<[string, RegExp]> = [
    ["GET / HTTP/1.1\r\n\r\n", /does not start with a PROXY/],
    ["PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", /malformed/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", /control byte/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", /CRLF/],
    ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", /unknown v1 protocol/],
    ["PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", /bad TCP4 address/],
    ["PROXY TCP4 ::1 5.6.7.8 1 2\r\n", /bad TCP4 address/],
    ["PROXY TCP6 1.2.3.4 ::1 1 2\r\n", /bad TCP6 address/],
    ["PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", /bad TCP6 address/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", /bad port/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", /bad port/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", /bad port/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", /malformed/],
    ["PROXY TCP4 1.2.3.4\x00 5.6.7.8 1 2\r\n", /control byte/],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\xff", /CRLF/],
    ["PROXY UNKNOWN " + "x".repeat(100) + "\r\n", /longer than 107/],
    ["PROXx", /v1 signature/],
  ];
  for (const [text, why] of bad) {
    const r = scan(latin1(text));
    assert.match(r, /^error: /, text);
    assert.match(r, why, text);
  }
});

Deno.test("ProxyHeaderParser takes a v1 line of exactly 107 bytes and no longer", () => {
  const pad = (n: number) => `PROXY UNKNOWN ${"x".repeat(n)}\r\n`;
  const longest = pad(V1_MAX_BYTES - pad(0).length);
  assert.equal(longest.length, V1_MAX_BYTES);
  assert.equal(scan(latin1(longest)), `done connection +${V1_MAX_BYTES}`);
  assert.match(scan(latin1(pad(V1_MAX_BYTES - pad(0).length + 1))), /longer than 107/);
});

Deno.test("ProxyHeaderParser reads v2 PROXY over TCP4 and TCP6, skipping TLVs", () => {
  const tcp4 = [192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0x01, 0xbb];
  assert.equal(scan(v2(1, 0x11, tcp4)), "done 192.0.2.1 51234 +28");
  const tlvs = [0x04, 0x00, 0x03, 0x61, 0x62, 0x63, 0x01, 0x00, 0x02, 0x68, 0x32];
  const withTlv = v2(1, 0x11, [...tcp4, ...tlvs]);
  assert.equal(scan(Uint8Array.from([...withTlv, ...latin1(GET)])), "done 192.0.2.1 51234 +39");
  const src6 = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
  const dst6 = [...Array(15).fill(0), 1];
  assert.equal(scan(v2(1, 0x21, [...src6, ...dst6, 0, 80, 1, 187])), "done 2001:db8::1 80 +52");
  const mapped = [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1];
  assert.equal(scan(v2(1, 0x21, [...mapped, ...dst6, 0, 80, 1, 187])), "done 127.0.0.1 80 +52");
});

Deno.test("ProxyHeaderParser keeps the connection's address for LOCAL, UNSPEC, UDP and UNIX", () => {
  assert.equal(scan(v2(0, 0x00, [])), "done connection +16"); // a health check from the balancer
  assert.equal(scan(v2(0, 0x11, Array(12).fill(1))), "done connection +28");
  assert.equal(scan(v2(1, 0x00, [])), "done connection +16");
  assert.equal(scan(v2(1, 0x12, Array(12).fill(1))), "done connection +28");
  assert.equal(scan(v2(1, 0x31, Array(216).fill(0))), "done connection +232");
});

Deno.test("ProxyHeaderParser refuses malformed and oversized v2 headers", () => {
  const bad: Array<[Uint8Array, RegExp]> = [
    [Uint8Array.from([...V2_SIG.slice(0, 11), 0x0b]), /v2 signature/],
    [Uint8Array.from([...V2_SIG, 0x11, 0x11, 0, 0]), /version 1/],
    [Uint8Array.from([...V2_SIG, 0x22, 0x11, 0, 0]), /unknown v2 command 2/],
    [v2(1, 0x11, Array(11).fill(0)), /too short/],
    [v2(1, 0x21, Array(35).fill(0)), /too short/],
    [v2(1, 0x11, Array(MAX_V2 - 15).fill(0)), /4097 bytes \(at most 4096\)/],
  ];
  for (const [bytes, why] of bad) assert.match(scan(bytes), why);
  // The longest accepted is accepted; declared lengths above it fail before the body arrives.
  assert.match(scan(v2(1, 0x11, Array(MAX_V2 - 16).fill(0))), /^done 0\.0\.0\.0 0 \+4096$/);
  const huge = Uint8Array.from([...V2_SIG, 0x21, 0x11, 0xff, 0xff]);
  assert.match(feedPieces([huge]), /65551 bytes/);
});

Deno.test("ProxyHeaderParser needs more until the header is complete, then refuses more feeds", () => {
  const p = new ProxyHeaderParser(MAX_V2);
  assert.deepEqual(p.feed(latin1("PROXY TCP4 1.2.3.4 ")), { kind: "need-more" });
  assert.deepEqual(p.feed(new Uint8Array(0)), { kind: "need-more" });
  const r = p.feed(latin1("5.6.7.8 10 20\r\nGET"));
  assert.deepEqual(r, { kind: "done", consumed: 15, source: { ip: "1.2.3.4", port: 10 } });
  assert.equal(p.feed(latin1("x")).kind, "error");
});

Deno.test("ProxyHeaderParser: any bytes, however split, give the same answer and never throw", () => {
  const header = fc.oneof(
    fc.uint8Array({ maxLength: 140 }),
    fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([...latin1("PROXY "), ...b])),
    fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([...V2_SIG, ...b])),
  );
  fc.assert(
    fc.property(header, fc.nat(200), (bytes, at) => {
      const cut = Math.min(at, bytes.length);
      const whole = feedPieces([bytes]);
      assert.equal(feedPieces([bytes.subarray(0, cut), bytes.subarray(cut)]), whole);
      const done = /^done .* \+(\d+)$/.exec(whole);
      if (done) assert.ok(Number(done[1]) <= Math.min(bytes.length, MAX_V2));
    }),
    { numRuns: 3000 },
  );
});
