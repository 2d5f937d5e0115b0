import assert from "node:assert/strict";
import { FieldList } from "../http/headers.ts";
import { ClientResolver, forwardedFor, MAX_HOPS, parseNode } from "./client_address.ts";

function fields(...pairs: Array<[string, string]>): FieldList {
  const f = new FieldList();
  for (const [n, v] of pairs) f.add(n.toLowerCase(), v);
  return f;
}

const PROXY = { ip: "10.0.0.3", port: 40000 };
const xff = new ClientResolver(["10.0.0.0/8", "::1"], "x-forwarded-for");

Deno.test("ClientResolver takes the right-most address that is not a trusted proxy", () => {
  const cases: Array<[string[], string, number]> = [
    [["203.0.113.9"], "203.0.113.9", 0],
    [["198.51.100.7, 203.0.113.9, 10.0.0.2"], "203.0.113.9", 0],
    [["198.51.100.7", "203.0.113.9:5123", "10.0.0.2"], "203.0.113.9", 5123], // several fields
    [["[2001:DB8::1]:4711"], "2001:db8::1", 4711],
    [["2001:db8::1"], "2001:db8::1", 0],
    [["::ffff:203.0.113.9"], "203.0.113.9", 0],
    [["10.0.0.9, 10.0.0.2"], "10.0.0.9", 0], // all trusted: the left-most one
    [["garbage, 203.0.113.9"], "203.0.113.9", 0], // spoofed garbage left of the client
    [["203.0.113.9, garbage"], "10.0.0.3", 40000], // a hop we cannot read: stop at the peer
    [["203.0.113.9, unknown, 10.0.0.2"], "10.0.0.2", 0],
    [[""], "10.0.0.3", 40000],
    [["1.2.3.04"], "10.0.0.3", 40000], // not an address by our strict reading
  ];
  for (const [values, ip, port] of cases) {
    const h = fields(...values.map((v): [string, string] => ["X-Forwarded-For", v]));
    assert.deepEqual(xff.resolve(PROXY, h), { ip, port }, values.join(" | "));
  }
  assert.deepEqual(xff.resolve(PROXY, fields()), PROXY);
});

Deno.test("ClientResolver ignores the header of a peer that is not a trusted proxy", () => {
  const client = { ip: "203.0.113.9", port: 5555 };
  const spoof = fields(["X-Forwarded-For", "127.0.0.1"], ["Forwarded", "for=127.0.0.1"]);
  assert.deepEqual(xff.resolve(client, spoof), client);
  assert.deepEqual(new ClientResolver([], "x-forwarded-for").resolve(PROXY, spoof), PROXY);
  assert.deepEqual(new ClientResolver(["10.0.0.0/8"], "off").resolve(PROXY, spoof), PROXY);
  // A dual-stack socket reports an IPv4 peer as IPv4-mapped IPv6: still trusted.
  const mapped = { ip: "::ffff:10.0.0.3", port: 1 };
  assert.equal(xff.resolve(mapped, fields(["X-Forwarded-For", "203.0.113.9"])).ip, "203.0.113.9");
});

Deno.test("ClientResolver reads only the configured header", () => {
  const both = fields(["X-Forwarded-For", "198.51.100.1"], ["Forwarded", "for=203.0.113.9"]);
  assert.equal(xff.resolve(PROXY, both).ip, "198.51.100.1");
  const fwd = new ClientResolver(["10.0.0.0/8"], "forwarded");
  assert.equal(fwd.resolve(PROXY, both).ip, "203.0.113.9");
  const chain = fields(
    ["Forwarded", 'for=198.51.100.1;proto=http, for="[2001:db8:cafe::17]:4711";by=10.0.0.1'],
    ["Forwarded", "For=10.0.0.7"],
  );
  assert.deepEqual(fwd.resolve(PROXY, chain), { ip: "2001:db8:cafe::17", port: 4711 });
  assert.equal(fwd.resolve(PROXY, fields(["Forwarded", "for=_hidden, by=x"])).ip, "10.0.0.3");
});

Deno.test("forwardedFor() splits elements and pairs outside quoted strings", () => {
  const f = fields(["Forwarded", 'for="a,b;c", proto=https;for=1.2.3.4, by=x']);
  assert.deepEqual(forwardedFor(f), ["a,b;c", "1.2.3.4", ""]);
});

Deno.test("parseNode() reads addresses with and without ports, strictly", () => {
  assert.deepEqual(parseNode("192.0.2.1"), { ip: "192.0.2.1", port: 0 });
  assert.deepEqual(parseNode("192.0.2.1:65535"), { ip: "192.0.2.1", port: 65535 });
  assert.deepEqual(parseNode("[::1]"), { ip: "::1", port: 0 });
  for (const bad of ["192.0.2.1:65536", "192.0.2.1:", "[::1", "[::1]x", "[::1]:", "host:80"]) {
    assert.equal(parseNode(bad), null, bad);
  }
  assert.equal(parseNode("fe80::1%eth0"), null);
  assert.equal(parseNode("unknown"), null);
});

Deno.test("ClientResolver examines at most MAX_HOPS hops", () => {
  const trustedChain = Array(MAX_HOPS + 10).fill("10.0.0.1").join(", ");
  const h = fields(["X-Forwarded-For", `203.0.113.9, ${trustedChain}`]);
  assert.equal(xff.resolve(PROXY, h).ip, "10.0.0.1");
});
