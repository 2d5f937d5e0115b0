import assert from "node:assert/strict";
import { IpAllowList, parseIp } from "./ip_allow.ts";

Deno.test("parseIp() reads IPv4, IPv6 forms and maps ::ffff:a.b.c.d to IPv4", () => {
  assert.deepEqual(parseIp("10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
  assert.deepEqual(parseIp("::ffff:10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
  assert.deepEqual(parseIp("::1"), new Uint8Array([...new Array(15).fill(0), 1]));
  assert.deepEqual(parseIp("[fe80::1%eth0]")?.slice(0, 2), new Uint8Array([0xfe, 0x80]));
  assert.deepEqual(parseIp("1:2:3:4:5:6:7:8")?.slice(14), new Uint8Array([0, 8]));
  assert.deepEqual(parseIp("1::")?.slice(0, 2), new Uint8Array([0, 1]));
  for (
    const s of [
      "",
      "1.2.3",
      "1.2.3.256",
      "1.2.3.4.5",
      "a.b.c.d",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "::g",
      "1:2:3:4:5:6:7::8",
    ]
  ) {
    assert.equal(parseIp(s), null, s);
  }
});

Deno.test("IpAllowList.allows() matches addresses and CIDR blocks per family", () => {
  const l = new IpAllowList(["127.0.0.1", "10.0.0.0/8", "192.168.1.128/25", "fd00::/8", "::1"]);
  for (
    const ip of ["127.0.0.1", "::ffff:127.0.0.1", "10.255.1.2", "192.168.1.200", "fdab::1", "::1"]
  ) {
    assert.ok(l.allows(ip), ip);
  }
  for (const ip of ["127.0.0.2", "11.0.0.1", "192.168.1.127", "fe00::1", "::2", "garbage", ""]) {
    assert.ok(!l.allows(ip), ip);
  }
  assert.ok(new IpAllowList(["0.0.0.0/0"]).allows("8.8.8.8"));
  assert.ok(!new IpAllowList(["0.0.0.0/0"]).allows("2001:db8::1"));
  assert.ok(new IpAllowList(["::ffff:10.0.0.0/104"]).allows("10.9.9.9"));
  assert.ok(!new IpAllowList([]).allows("127.0.0.1"));
});

Deno.test("IpAllowList throws TypeError for a bad entry", () => {
  for (const e of ["1.2.3.4/33", "::/129", "x", "1.2.3.4/", "1.2.3.4/a"]) {
    assert.throws(() => new IpAllowList([e]), TypeError, e);
  }
});

Deno.test("parseIp() refuses IPv4 text that is not four decimal parts, alone or in IPv6", () => {
  for (const s of ["127.1", "0x7f.0.0.1", "010.0.0.1", "::ffff:0x7f.0.0.1", "::ffff:1.2.3.04"]) {
    assert.equal(parseIp(s), null, s);
  }
  assert.deepEqual(parseIp("[::ffff:127.0.0.1]"), new Uint8Array([127, 0, 0, 1]));
});

Deno.test("IpAllowList.allows() matches an IPv4-mapped peer against IPv4 blocks, and only those", () => {
  const l = new IpAllowList(["10.0.0.0/8"]);
  assert.ok(l.allows("::ffff:10.1.2.3"));
  assert.ok(l.allows("[::ffff:10.1.2.3]"));
  assert.ok(!l.allows("::ffff:11.1.2.3"));
  assert.ok(!l.allows("::a01:203"), "10.1.2.3's bits, but not IPv4-mapped");
  assert.ok(!new IpAllowList(["::/0"]).allows("10.1.2.3"), "an IPv6 block holds no IPv4 peer");
});
