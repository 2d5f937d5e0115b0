import assert from "node:assert/strict";
import { connTransport, directOpsAvailable } from "./conn_transport.ts";

/** An accepted connection and its client, on a fresh loopback port. */
async function pair(): Promise<{ server: Deno.Conn; client: Deno.Conn; close(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return {
    server,
    client,
    close() {
      for (const c of [client, server, listener]) {
        try {
          c.close();
        } catch { /* closed by the test */ }
      }
    },
  };
}

async function readExactly(c: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await c.read(out.subarray(at));
    if (got === null) throw new Error(`end of stream after ${at} of ${n} bytes`);
    at += got;
  }
  return out;
}

Deno.test("the Deno this project pins gives connections the direct-op transport", async () => {
  // If this fails after a Deno upgrade, the runtime no longer exposes its ops: the server still
  // works through the public Conn API, ~0.7 µs per request slower (see conn_transport.ts).
  const p = await pair();
  try {
    assert.equal(directOpsAvailable(p.server), true);
    assert.notEqual(connTransport(p.server), p.server);
    assert.equal(connTransport(p.server, false), p.server);
  } finally {
    p.close();
  }
});

for (const direct of [true, false]) {
  const name = direct ? "direct ops" : "public Conn API";

  Deno.test(`${name}: reads, writes, end of stream and close`, async () => {
    const p = await pair();
    try {
      const t = connTransport(p.server, direct);
      t.setNoDelay?.(true);
      assert.equal(typeof t.setNoDelay, "function", "a TCP transport can turn Nagle off");
      await p.client.write(new TextEncoder().encode("ping"));
      const buf = new Uint8Array(16);
      const n = await t.read(buf);
      assert.equal(n, 4);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "ping");

      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
      const sent = (async () => {
        let off = 0;
        while (off < big.length) off += await t.write(big.subarray(off));
        return off;
      })();
      const got = await readExactly(p.client, big.length);
      assert.equal(await sent, big.length);
      assert.deepEqual(got, big);

      p.client.closeWrite();
      const end = await t.read(buf);
      assert.ok(end === null || end === 0, `end of stream reads ${end}`);

      t.close();
      await assert.rejects(() => t.read(buf), Deno.errors.BadResource);
      assert.equal(await p.client.read(buf), null, "the client sees the close");
    } finally {
      p.close();
    }
  });

  Deno.test(`${name}: a read pending when the transport closes rejects`, async () => {
    const p = await pair();
    try {
      const t = connTransport(p.server, direct);
      const pending = t.read(new Uint8Array(16));
      t.close();
      await assert.rejects(() => pending);
    } finally {
      p.close();
    }
  });
}

/** An accepted TLS connection and its client (certificates made with openssl). */
async function tlsPair(): Promise<{ server: Deno.TlsConn; client: Deno.TlsConn; close(): void }> {
  const { makePki } = await import("../../tests/helpers/tls.ts");
  const pki = await makePki();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(pki.cert),
    key: Deno.readTextFileSync(pki.key),
  });
  const client = await Deno.connectTls({
    hostname: "localhost",
    port: listener.addr.port,
    caCerts: [Deno.readTextFileSync(pki.ca)],
  });
  const server = await listener.accept();
  return {
    server,
    client,
    close() {
      for (const c of [client, server, listener]) {
        try {
          c.close();
        } catch { /* closed by the test */ }
      }
      Deno.removeSync(pki.dir, { recursive: true });
    },
  };
}

Deno.test("a TLS connection gets the direct-op transport too (the pinned Deno), and both work over TLS", async () => {
  // HTTPS runs the same engine: if this fails after a Deno upgrade, TLS connections fall back to
  // the public TlsConn API (the second half of this test), only slower.
  for (const direct of [true, false]) {
    const p = await tlsPair();
    try {
      if (direct) assert.equal(directOpsAvailable(p.server), true);
      const t = connTransport(p.server, direct);
      assert.equal(t === p.server, !direct);
      t.setNoDelay?.(true); // a TlsConn has none: nothing happens (libc.ts sets it per listener)
      await p.client.write(new TextEncoder().encode("ping"));
      const buf = new Uint8Array(16);
      assert.equal(await t.read(buf), 4, "the read drives the handshake, then the bytes");
      const big = new Uint8Array(200_000).map((_, i) => i % 251);
      const sent = (async () => {
        let off = 0;
        while (off < big.length) {
          const n = await t.write(big.subarray(off));
          assert.ok(n <= 65536, `a TLS write takes at most 64 KiB (${n})`);
          off += n;
        }
      })();
      assert.deepEqual(await readExactly(p.client, big.length), big);
      await sent;
      await p.client.closeWrite(); // close_notify
      const end = await t.read(buf);
      assert.ok(end === null || end === 0, `end of stream reads ${end}`);
      t.close();
    } finally {
      p.close();
    }
  }
});
