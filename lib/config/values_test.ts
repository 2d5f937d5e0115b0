import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatDuration,
  formatSize,
  isFieldValue,
  isHostname,
  isIpOrCidr,
  isIpv4,
  isIpv6,
  isToken,
  isUrlPath,
  parseAddress,
  parseBool,
  parseDigits,
  parseDuration,
  parseInteger,
  parseSize,
  splitList,
} from "./values.ts";

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

Deno.test("parseDigits() reads digits up to 2^53-1 and rejects anything else", () => {
  assert.equal(parseDigits("0"), 0);
  assert.equal(parseDigits("007"), 7);
  assert.equal(parseDigits("9007199254740991"), Number.MAX_SAFE_INTEGER);
  for (const s of ["", "9007199254740992", "1e3", "4zz", " 1", "1 ", "-0", "+1", "0x1", "١"]) {
    assert.equal(parseDigits(s), null, s);
  }
});

Deno.test("parseDigits() agrees with BigInt on every digit string", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9]{1,20}$/), (s) => {
      const big = BigInt(s);
      const n = parseDigits(s);
      assert.equal(n, big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : null);
    }),
  );
});

Deno.test("parseInteger() enforces the range", () => {
  assert.deepEqual(parseInteger("5", { min: 1, max: 5 }), { ok: true, value: 5 });
  assert.deepEqual(parseInteger("6", { min: 1, max: 5 }), {
    ok: false,
    expected: "an integer from 1 to 5",
  });
  assert.equal(parseInteger("0", { min: 1, max: 5 }).ok, false);
});

Deno.test("parseBool() accepts On/Off, true/false, yes/no in any case", () => {
  for (const s of ["On", "ON", "true", "Yes"]) {
    assert.deepEqual(parseBool(s), { ok: true, value: true });
  }
  for (const s of ["off", "FALSE", "no"]) {
    assert.deepEqual(parseBool(s), { ok: true, value: false });
  }
  for (const s of ["1", "0", "", "enabled", "constructor", "__proto__"]) {
    assert.equal(parseBool(s).ok, false, s);
  }
});

Deno.test("parseDuration() reads ms, s, m, h and bare seconds", () => {
  const ms = (v: string) => {
    const r = parseDuration(v, ANY);
    return r.ok ? r.value : null;
  };
  assert.equal(ms("500ms"), 500);
  assert.equal(ms("10s"), 10_000);
  assert.equal(ms("10"), 10_000);
  assert.equal(ms("2m"), 120_000);
  assert.equal(ms("1h"), 3_600_000);
  assert.equal(ms("0"), 0);
  for (const v of ["", "s", "1.5s", "1S", "1M", "1d", "10 s", "-1s", "9007199254740991s"]) {
    assert.equal(ms(v), null, v);
  }
  assert.deepEqual(parseDuration("5ms", { min: 10, max: 3_600_000 }), {
    ok: false,
    expected: "a duration from 10ms to 1h (like 500ms, 10s, 2m)",
  });
});

Deno.test("parseSize() reads bytes and k/m/g suffixes in either case", () => {
  const n = (v: string) => {
    const r = parseSize(v, ANY);
    return r.ok ? r.value : null;
  };
  assert.equal(n("0"), 0);
  assert.equal(n("8190"), 8190);
  assert.equal(n("16k"), 16384);
  assert.equal(n("16K"), 16384);
  assert.equal(n("100m"), 104857600);
  assert.equal(n("1G"), 1073741824);
  for (const v of ["", "k", "1kb", "1t", "1.5k", "1 k", "8388608g", "9007199254740992"]) {
    assert.equal(n(v), null, v);
  }
  assert.deepEqual(parseSize("1", { min: 4096, max: 16 * 1024 * 1024 }), {
    ok: false,
    expected: "a size from 4k to 16m (like 512, 64k, 100m)",
  });
});

Deno.test("formatDuration() and formatSize() pick the largest exact unit", () => {
  assert.deepEqual([0, 10, 1000, 90_000, 120_000, 7_200_000].map(formatDuration), [
    "0ms",
    "10ms",
    "1s",
    "90s",
    "2m",
    "2h",
  ]);
  assert.deepEqual([0, 1000, 1024, 1536, 1048576, 3221225472].map(formatSize), [
    "0",
    "1000",
    "1k",
    "1536",
    "1m",
    "3g",
  ]);
});

Deno.test("splitList() splits on spaces and commas", () => {
  assert.deepEqual(splitList(" a, b,,c\td "), ["a", "b", "c", "d"]);
  assert.deepEqual(splitList(""), []);
  assert.deepEqual(splitList(" , "), []);
});

Deno.test("isIpv4() and isIpv6() follow the textual address grammars", () => {
  for (const s of ["0.0.0.0", "127.0.0.1", "255.255.255.255"]) assert.ok(isIpv4(s), s);
  for (
    const s of [
      "256.0.0.1",
      "1.2.3",
      "1.2.3.4.5",
      "01234.1.1.1",
      "010.0.0.1",
      "1.2.3.04",
      "a.b.c.d",
      "1..2.3",
      "",
    ]
  ) {
    assert.ok(!isIpv4(s), s);
  }
  for (
    const s of [
      "::",
      "::1",
      "fe80::1",
      "2001:db8::8:800:200c:417a",
      "1:2:3:4:5:6:7:8",
      "::ffff:1.2.3.4",
    ]
  ) {
    assert.ok(isIpv6(s), s);
  }
  for (
    const s of [
      "",
      ":",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "g::1",
      "1:2:3:4:5:6:7",
      "::1.2.3",
      "::ffff:1.2.3.04",
    ]
  ) {
    assert.ok(!isIpv6(s), s);
  }
});

Deno.test("isHostname() accepts RFC 1123 names only", () => {
  for (const s of ["localhost", "a.example.com", "x-1.y", "3com.net"]) assert.ok(isHostname(s), s);
  for (const s of ["", "-a", "a-", "a_b", "a..b", "999.1.1.1", "a".repeat(64), "a b"]) {
    assert.ok(!isHostname(s), s);
  }
});

Deno.test("parseAddress() reads host:port forms", () => {
  const any = { ports: { min: 0, max: 65535 }, anyHost: "0.0.0.0" };
  assert.deepEqual(parseAddress("1.2.3.4:80", any), {
    ok: true,
    value: { host: "1.2.3.4", port: 80 },
  });
  assert.deepEqual(parseAddress("[::1]:0", any), { ok: true, value: { host: "::1", port: 0 } });
  assert.deepEqual(parseAddress("8080", any), { ok: true, value: { host: "0.0.0.0", port: 8080 } });
  assert.deepEqual(parseAddress("*:81", any), { ok: true, value: { host: "0.0.0.0", port: 81 } });
  const remote = { ports: { min: 1, max: 65535 } };
  for (
    const s of ["8080", "*:80", "h:0", "h:", ":80", "[::1]", "::1:80", "[1.2.3.4]:80", "h:65536"]
  ) {
    assert.equal(parseAddress(s, remote).ok, false, s);
  }
});

Deno.test("isIpOrCidr() checks prefix lengths per family", () => {
  for (const s of ["10.0.0.0/8", "1.2.3.4", "0.0.0.0/0", "1.2.3.4/32", "::/0", "fd00::/128"]) {
    assert.ok(isIpOrCidr(s), s);
  }
  for (const s of ["10.0.0.0/33", "::/129", "1.2.3.4/", "1.2.3.4/a", "host/8", "/8", ""]) {
    assert.ok(!isIpOrCidr(s), s);
  }
});

Deno.test("isToken(), isFieldValue() and isUrlPath() reject unsafe text", () => {
  assert.ok(isToken("sid") && isToken("__Host-x.y~1"));
  for (const s of ["", "a b", "a;b", "a=b", "a\u00e9", 'a"']) assert.ok(!isToken(s), s);
  assert.ok(isFieldValue("public, max-age=3600") && isFieldValue("x"));
  for (const s of ["", " x", "x ", "a\r\nb", "a\u0000", "caf\u00e9"]) {
    assert.ok(!isFieldValue(s), s);
  }
  assert.ok(isUrlPath("/") && isUrlPath("/a/b/") && isUrlPath("/a.b/..c"));
  for (const s of ["", "a", "/a b", "/a/../b", "/a/./b", "/..", "/a?b", "/\u00e9"]) {
    assert.ok(!isUrlPath(s), s);
  }
});
