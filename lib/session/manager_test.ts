import assert from "node:assert/strict";
import { FieldList } from "../http/headers.ts";
import { sessionCookie, SessionManager } from "./manager.ts";
import { type Lookup, type SessionBackend, SessionSigner, type SessionUpdate } from "./session.ts";

const KEY = "manager test key 123";
const PEER = { ip: "1.2.3.4", port: 5 };
const TTL_S = 60;

class FakeBackend implements SessionBackend {
  answer: Lookup = { kind: "missing" };
  lookups: string[] = [];
  writes: SessionUpdate[][] = [];
  lookup(id: string): Promise<Lookup> {
    this.lookups.push(id);
    return Promise.resolve(this.answer);
  }
  putSessions(u: readonly SessionUpdate[]): Promise<void> {
    this.writes.push([...u]);
    return Promise.resolve();
  }
}

function setup(start = 1_800_000_000_000) {
  const clock = { now: start };
  const backend = new FakeBackend();
  const m = new SessionManager(
    { cookieName: "sid", ttlS: TTL_S, secure: false, secret: KEY },
    backend,
    () => clock.now,
  );
  return { clock, backend, m };
}

function headers(...cookies: string[]): FieldList {
  const h = new FieldList();
  h.add("host", "x");
  for (const c of cookies) h.add("cookie", c);
  return h;
}

function valueOf(setCookie: string | null | Promise<string | null>): string {
  assert.equal(typeof setCookie, "string");
  return /^sid=([A-Za-z0-9_-]{52}); Path=\/; HttpOnly; SameSite=Lax$/.exec(
    setCookie as string,
  )![1]!;
}

Deno.test("sessionCookie() looks through every Cookie field", () => {
  assert.equal(sessionCookie(headers("a=1", "b=2; sid=v"), "sid"), "v");
  assert.equal(sessionCookie(headers(), "sid"), null);
});

Deno.test("SessionManager issues a signed cookie and writes nothing until it comes back", async () => {
  const { backend, m } = setup();
  for (let i = 0; i < 100; i++) valueOf(m.cookieFor(headers(), PEER));
  await m.flush();
  assert.equal(backend.writes.length, 0, "clients that never return their cookie cost no write");
  assert.equal(backend.lookups.length, 0);
  assert.equal(m.stats.issued, 100);
});

Deno.test("SessionManager's Set-Cookie lines stay whole and distinct across line slabs", () => {
  const { m } = setup();
  const lines: Uint8Array[] = [];
  // ~640 lines fit a slab: 2000 use four, and each line must keep its bytes once later ones
  // are written after it.
  for (let i = 0; i < 2000; i++) lines.push(m.setCookieLine(headers(), PEER) as Uint8Array);
  const text = lines.map((l) => new TextDecoder().decode(l));
  for (const t of text) {
    assert.match(t, /^Set-Cookie: sid=[A-Za-z0-9_-]{52}; Path=\/; HttpOnly; SameSite=Lax\r\n$/);
  }
  assert.equal(new Set(text).size, 2000);
  assert.equal(new Set(lines.map((l) => l.buffer)).size >= 4, true, "several slabs were used");
});

Deno.test("SessionManager accepts its cookie without a lookup and batches the updates", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), { ip: "10.0.0.9", port: 1 }));
  clock.now += 1000;
  assert.equal(m.cookieFor(headers(`sid=${v}`), { ip: "10.0.0.9", port: 2 }), null);
  clock.now += 1000;
  assert.equal(m.cookieFor(headers(`x=1; sid=${v}`), { ip: "10.0.0.9", port: 3 }), null);
  assert.equal(m.pending, 1);
  await m.flush();
  assert.equal(backend.lookups.length, 0);
  assert.equal(backend.writes.length, 1);
  const [u] = backend.writes[0]!;
  const id = new SessionSigner(KEY).open(v)!.id;
  assert.deepEqual(u, {
    id,
    createdMs: Math.floor((clock.now - 2000) / 1000) * 1000,
    lastSeenMs: clock.now,
    requests: 2,
    client: "10.0.0.9:3",
  });
  await m.flush();
  assert.equal(backend.writes.length, 1, "nothing new, nothing written");
  assert.equal(m.stats.resumed, 2);
});

Deno.test("SessionManager gives a tampered or foreign cookie a fresh session", () => {
  const { m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  const tampered = (v[0] === "A" ? "B" : "A") + v.slice(1);
  assert.notEqual(valueOf(m.cookieFor(headers(`sid=${tampered}`), PEER)), v);
  const foreign = new SessionSigner("some other key!!").mint(Date.now()).value;
  valueOf(m.cookieFor(headers(`sid=${foreign}`), PEER));
  valueOf(m.cookieFor(headers("sid=garbage"), PEER));
  assert.equal(m.stats.rejected, 3);
});

Deno.test("SessionManager never ends a session before the TTL, even one issued late in a second", () => {
  const { clock, backend, m } = setup(1_800_000_000_999);
  const v = valueOf(m.cookieFor(headers(), PEER));
  clock.now += TTL_S * 1000 - 500;
  assert.equal(m.cookieFor(headers(`sid=${v}`), PEER), null, "alive, known without a lookup");
  assert.equal(backend.lookups.length, 0);
});

Deno.test("SessionManager looks up a cookie older than the TTL: found keeps it, missing renews it", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = {
    kind: "found",
    record: { createdMs: 0, lastSeenMs: clock.now - 1000, requests: 3, client: "o" },
  };
  const kept = m.cookieFor(headers(`sid=${v}`), PEER);
  assert.ok(kept instanceof Promise);
  assert.equal(await kept, null);
  assert.equal(backend.lookups.length, 1);
  assert.equal(m.cookieFor(headers(`sid=${v}`), PEER), null, "seen locally: no second lookup");
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = { kind: "missing" };
  const renewed = await m.cookieFor(headers(`sid=${v}`), PEER);
  assert.notEqual(valueOf(renewed), v);
  assert.equal(m.stats.renewed, 1);
});

Deno.test("SessionManager renews a session the store holds but that has expired", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = {
    kind: "found",
    record: { createdMs: 0, lastSeenMs: clock.now - TTL_S * 1000, requests: 1, client: "o" },
  };
  valueOf(await m.cookieFor(headers(`sid=${v}`), PEER));
});

Deno.test("SessionManager keeps the session when the store cannot answer (fail open)", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = { kind: "unavailable" };
  assert.equal(await m.cookieFor(headers(`sid=${v}`), PEER), null);
  backend.lookup = () => Promise.reject(new Error("boom"));
  clock.now += (TTL_S + 5) * 1000;
  assert.equal(await m.cookieFor(headers(`sid=${v}`), PEER), null);
  assert.equal(m.stats.unavailable, 2);
});

Deno.test("SessionManager rejects a cookie issued far in the future", () => {
  const { clock, m } = setup();
  const future = new SessionSigner(KEY).mint(clock.now + 10 * 60 * 1000).value;
  valueOf(m.cookieFor(headers(`sid=${future}`), PEER));
  assert.equal(m.stats.rejected, 1);
});

Deno.test("SessionManager adds Secure when configured", () => {
  const m = new SessionManager(
    { cookieName: "id", ttlS: 5, secure: true, secret: KEY },
    new FakeBackend(),
  );
  assert.match(
    m.cookieFor(headers(), PEER) as string,
    /^id=[\w-]{52}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
  );
});
