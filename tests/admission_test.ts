/**
 * Black-box tests of connection admission (lib/server/admission.ts) over real sockets, with
 * several clients on the loopback addresses 127.0.0.1, 127.0.0.2...: one client cannot take
 * every connection, and a full server makes room by closing the connection that has waited
 * longest for a request head.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../lib/http/test_assert.ts";
import { exchangeFrom, RawClient } from "./helpers/from_address.ts";
import { eventually, startServer, statusOf } from "./helpers/server.ts";

const HELLO = "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
/** A head that never ends: the client is slow to send it (or never will). */
const UNFINISHED = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n";

function header(response: string, name: string): string | undefined {
  const head = response.slice(0, response.indexOf("\r\n\r\n"));
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1];
}

Deno.test("one client's unfinished heads take at most MaxConnectionsPerClient; other clients are served", async () => {
  const s = await startServer({
    workers: 2,
    conf: { MaxSimultaneousConnections: "64", MaxConnectionsPerClient: "16" },
  });
  const flood: RawClient[] = [];
  try {
    for (let i = 0; i < 64; i++) {
      const c = await RawClient.connect(s.port, "127.0.0.1");
      flood.push(c);
      await c.send(UNFINISHED);
    }
    // Each worker admits its share, 16 / 2 workers = 8, and answers the rest 503 at once: the
    // client never holds more than 16, and never fewer than 8.
    const refused = () => flood.filter((c) => statusOf(c.received) === 503);
    await eventually(() => refused().length >= 48, 10_000, "48 refusals");
    for (const c of refused()) {
      assertEquals(header(c.received, "Retry-After"), "1");
      assert.ok(await c.until((x) => x.closed, 5000), "a refused connection is closed");
    }
    const held = flood.filter((c) => !c.closed);
    assert.ok(held.length >= 8 && held.length <= 16, `${held.length} held`);
    for (const c of held) assertEquals(c.received, "", "an admitted head waits for its end");
    // Every other client is served; the flooding one is refused a new connection.
    for (const from of ["127.0.0.2", "127.0.0.3"]) {
      assertEquals(statusOf(await exchangeFrom(s.port, from, HELLO)), 200, from);
    }
    assertEquals(statusOf(await exchangeFrom(s.port, "127.0.0.1", HELLO)), 503);
    // The admitted heads are still served when they end.
    await held[0]!.send("Connection: close\r\n\r\n");
    assert.ok(await held[0]!.until((c) => c.closed, 5000));
    assertEquals(statusOf(held[0]!.received), 200);
  } finally {
    for (const c of flood) c.close();
    assertEquals(await s.stop(), 0);
  }
  // One warning a second per worker at most, not one per refused connection.
  const lines = s.readLog("error.log").split("\n").filter((l) =>
    l.includes("over MaxConnectionsPerClient")
  );
  assert.ok(lines.length >= 1 && lines.length <= 6, lines.join("\n"));
});

Deno.test("a full server closes the connection waiting longest for a head, then refuses when none waits", async () => {
  const s = await startServer({
    workers: 1,
    conf: { MaxSimultaneousConnections: "4", MaxConnectionsPerClient: "100" },
  });
  const open: RawClient[] = [];
  try {
    // The oldest: a keep-alive connection idle after its response.
    const idle = await RawClient.connect(s.port, "127.0.0.1");
    open.push(idle);
    await idle.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.ok(await idle.until((c) => statusOf(c.received) === 200, 5000));
    // Then three connections slow to send their heads, oldest first.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20)); // distinct waiting times
      const c = await RawClient.connect(s.port, "127.0.0.1");
      open.push(c);
      await c.send(UNFINISHED);
    }
    await new Promise((r) => setTimeout(r, 100)); // the worker has taken all four
    // Full: a new client gets in, and the idle keep-alive connection is closed silently.
    assertEquals(statusOf(await exchangeFrom(s.port, "127.0.0.2", HELLO)), 200);
    assert.ok(await idle.until((c) => c.closed, 5000), "the idle connection made room");
    assertEquals([...idle.received.matchAll(/^HTTP\/1\.1 /gm)].length, 1);
    // Full again (a fourth slow head); the head waiting longest gets 503 with Retry-After.
    const fourth = await RawClient.connect(s.port, "127.0.0.4");
    open.push(fourth);
    await fourth.send(UNFINISHED);
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(statusOf(await exchangeFrom(s.port, "127.0.0.3", HELLO)), 200);
    const slow = open[1]!;
    assert.ok(await slow.until((c) => c.closed, 5000), "the slowest head made room");
    assertEquals(statusOf(slow.received), 503);
    assertEquals(header(slow.received, "Retry-After"), "1");
    for (const c of open.slice(2)) assertEquals(c.received, "", "the newer heads are kept");
    // When every connection is busy (each sends a body slowly), a newcomer is refused.
    for (const c of open.slice(2)) await c.send("Content-Length: 10\r\n\r\n");
    const busy = await RawClient.connect(s.port, "127.0.0.4");
    open.push(busy);
    await busy.send("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const refused = await exchangeFrom(s.port, "127.0.0.5", HELLO);
    assertEquals(statusOf(refused), 503);
    assertEquals(header(refused, "Retry-After"), "1");
  } finally {
    for (const c of open) c.close();
    assertEquals(await s.stop(), 0);
  }
});
