/**
 * What reaches stderr, which under systemd is what `systemctl status` and the journal show:
 * warnings and worse, not the notices and per-request info lines of error.log.
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/memcached.ts";
import { eventually, rawExchange, startServer } from "./helpers/server.ts";

Deno.test("warnings (memcached unreachable, random session key) reach stderr as well as error.log", async () => {
  const s = await startServer({
    workers: 1,
    conf: { Memcached: `127.0.0.1:${freePort()}`, SessionKey: "", MemcachedTimeout: "50ms" },
  });
  try {
    await eventually(() => /unreachable at start-up/.test(s.stderr()), 10_000, "the store warning");
    await rawExchange(s.port, "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  } finally {
    assert.equal(await s.stop(), 0);
  }
  const err = s.stderr();
  assert.match(
    err,
    /\[core:warn\] .*no SessionKey or SessionKeyFile: signing session cookies with a random key/,
  );
  assert.match(
    err,
    /\[session:warn\] .*session store memcached 127\.0\.0\.1:\d+ is unreachable at start-up/,
  );
  const log = s.readLog("error.log");
  assert.match(log, /random key/);
  assert.match(log, /unreachable at start-up/);
  // Notices and info lines stay in error.log only.
  assert.match(log, /\[core:notice\] .*listening on/);
  assert.match(log, /missing/);
  assert.doesNotMatch(err, /:notice\]|:info\]/);
});
