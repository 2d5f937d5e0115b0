import assert from "node:assert/strict";
import { FieldList } from "../http/headers.ts";
import { MAX_CLOCK_SKEW_MS, sessionCookie, SessionManager } from "./manager.ts";
import {
  type Lookup,
  type SessionBackend,
  SessionSigner,
  type SessionToken,
  type SessionUpdate,
} from "./session.ts";

const KEY = "manager test key 123";
const OTHER_KEY = "some other key!!";
const PEER = { ip: "1.2.3.4", port: 5 };
const TTL_S = 60;
const START = 1_800_000_000_000;

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

function setup(o: { start?: number; name?: string; secure?: boolean } = {}) {
  const clock = { now: o.start ?? START };
  const backend = new FakeBackend();
  const m = new SessionManager(
    { cookieName: o.name ?? "sid", ttlS: TTL_S, secure: o.secure ?? false, secret: KEY },
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

/**
 * The value of a Set-Cookie field, after checking the field is exactly
 * `<name>=<52 base64url>; Path=/; HttpOnly; SameSite=Lax` (then `; Secure` when configured).
 */
function valueOf(
  setCookie: string | null | Promise<string | null>,
  o: { name?: string; secure?: boolean } = {},
): string {
  assert.equal(typeof setCookie, "string", "a Set-Cookie field");
  const field = setCookie as string;
  const name = o.name ?? "sid";
  const value = field.slice(name.length + 1, name.length + 53);
  assert.match(value, /^[A-Za-z0-9_-]{52}$/);
  const attributes = `; Path=/; HttpOnly; SameSite=Lax${o.secure === true ? "; Secure" : ""}`;
  assert.equal(field, `${name}=${value}${attributes}`);
  return value;
}

/** Check a cookie value opens under KEY, issued at `nowMs` (rounded up), and not under another key. */
function signed(value: string, nowMs: number): SessionToken {
  const t = new SessionSigner(KEY).open(value);
  assert.ok(t !== null, "the value verifies under the manager's key");
  assert.equal(t.issuedMs, Math.ceil(nowMs / 1000) * 1000, "issued now");
  assert.equal(new SessionSigner(OTHER_KEY).open(value), null, "and not under another key");
  return t;
}

Deno.test("sessionCookie() looks through every Cookie field", () => {
  assert.equal(sessionCookie(headers("a=1", "b=2; sid=v"), "sid"), "v");
  assert.equal(sessionCookie(headers("sid=first", "sid=second"), "sid"), "first");
  assert.equal(sessionCookie(headers("xsid=v; sidx=w"), "sid"), null);
  assert.equal(sessionCookie(headers(), "sid"), null);
});

Deno.test("SessionManager issues a signed cookie and writes nothing until it comes back", async () => {
  const { clock, backend, m } = setup();
  const ids = new Set<string>();
  for (let i = 0; i < 100; i++) {
    clock.now += 10;
    ids.add(signed(valueOf(m.cookieFor(headers(), PEER)), clock.now).id);
  }
  assert.equal(ids.size, 100, "every cookieless request gets its own session");
  await m.flush();
  assert.equal(backend.writes.length, 0, "clients that never return their cookie cost no write");
  assert.equal(backend.lookups.length, 0);
  assert.equal(m.stats.issued, 100);
});

Deno.test("SessionManager's Set-Cookie lines stay whole and distinct across line slabs", () => {
  const { clock, m } = setup();
  const lines: Uint8Array[] = [];
  // ~640 lines fit a slab: 2000 use four, and each line must keep its bytes once later ones
  // are written after it.
  for (let i = 0; i < 2000; i++) lines.push(m.setCookieLine(headers(), PEER) as Uint8Array);
  const text = lines.map((l) => new TextDecoder().decode(l));
  for (const t of text) {
    assert.match(t, /^Set-Cookie: sid=[A-Za-z0-9_-]{52}; Path=\/; HttpOnly; SameSite=Lax\r\n$/);
    signed(t.slice(16, 68), clock.now);
  }
  assert.equal(new Set(text).size, 2000);
  assert.equal(new Set(lines.map((l) => l.buffer)).size >= 4, true, "several slabs were used");
});

Deno.test("SessionManager accepts its cookie without a lookup or a new Set-Cookie and batches the updates", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), { ip: "10.0.0.9", port: 1 }));
  const { id, issuedMs } = signed(v, clock.now);
  clock.now += 1000;
  assert.equal(m.cookieFor(headers(`sid=${v}`), { ip: "10.0.0.9", port: 2 }), null);
  assert.equal(m.setCookieLine(headers(`sid=${v}`), { ip: "10.0.0.9", port: 2 }), null);
  clock.now += 1000;
  assert.equal(m.cookieFor(headers(`x=1; sid=${v}`), { ip: "10.0.0.9", port: 3 }), null);
  assert.equal(m.pending, 1);
  await m.flush();
  assert.equal(backend.lookups.length, 0);
  assert.equal(backend.writes.length, 1);
  assert.deepEqual(backend.writes[0], [{
    id,
    createdMs: issuedMs,
    lastSeenMs: clock.now,
    requests: 3,
    client: "10.0.0.9:3",
  }]);
  await m.flush();
  assert.equal(backend.writes.length, 1, "nothing new, nothing written");
  assert.equal(m.stats.resumed, 3);
  assert.equal(m.stats.issued, 1);
});

Deno.test("SessionManager gives a tampered, foreign or malformed cookie a fresh, different one", () => {
  const { clock, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  const oldId = signed(v, clock.now).id;
  clock.now += 1000;
  const tampered = (v[0] === "A" ? "B" : "A") + v.slice(1);
  const foreign = new SessionSigner(OTHER_KEY).mint(clock.now).value;
  for (const bad of [tampered, foreign, "garbage", v.slice(0, 51) + "!"]) {
    const fresh = valueOf(m.cookieFor(headers(`sid=${bad}`), PEER));
    assert.notEqual(fresh, bad);
    assert.notEqual(fresh, v);
    assert.notEqual(signed(fresh, clock.now).id, oldId, "a new session, not the old one");
  }
  assert.equal(m.stats.rejected, 4);
  assert.equal(m.stats.issued, 5);
  assert.equal(m.stats.resumed, 0);
});

Deno.test("SessionManager never ends a session before the TTL, even one issued late in a second", () => {
  const { clock, backend, m } = setup({ start: START + 999 });
  const v = valueOf(m.cookieFor(headers(), PEER));
  clock.now += TTL_S * 1000 - 500;
  assert.equal(m.cookieFor(headers(`sid=${v}`), PEER), null, "alive, known without a lookup");
  assert.equal(backend.lookups.length, 0);
});

Deno.test("SessionManager looks up a cookie older than the TTL: found keeps it, missing renews it", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  const { id } = signed(v, clock.now);
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = {
    kind: "found",
    record: { createdMs: 0, lastSeenMs: clock.now - 1000, requests: 3, client: "o" },
  };
  const kept = m.cookieFor(headers(`sid=${v}`), PEER);
  assert.ok(kept instanceof Promise);
  assert.equal(await kept, null, "found and alive: no new cookie");
  assert.deepEqual(backend.lookups, [id]);
  assert.equal(m.cookieFor(headers(`sid=${v}`), PEER), null, "seen locally: no second lookup");
  assert.equal(backend.lookups.length, 1);
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = { kind: "missing" };
  const renewed = valueOf(await m.cookieFor(headers(`sid=${v}`), PEER));
  assert.notEqual(renewed, v);
  assert.notEqual(signed(renewed, clock.now).id, id);
  assert.equal(m.stats.renewed, 1);
  assert.equal(m.cookieFor(headers(`sid=${renewed}`), PEER), null, "the renewed cookie is kept");
});

Deno.test("SessionManager renews a session the store holds but that has expired", async () => {
  const { clock, backend, m } = setup();
  const v = valueOf(m.cookieFor(headers(), PEER));
  const { id } = signed(v, clock.now);
  clock.now += (TTL_S + 5) * 1000;
  backend.answer = {
    kind: "found",
    record: { createdMs: 0, lastSeenMs: clock.now - TTL_S * 1000, requests: 1, client: "o" },
  };
  const renewed = valueOf(await m.cookieFor(headers(`sid=${v}`), PEER));
  assert.notEqual(renewed, v);
  assert.notEqual(signed(renewed, clock.now).id, id);
  assert.equal(m.stats.renewed, 1);
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
  assert.equal(m.stats.issued, 1);
});

Deno.test("SessionManager rejects a cookie issued far in the future, but not within the skew", () => {
  const { clock, m } = setup();
  const signer = new SessionSigner(KEY);
  const future = signer.mint(clock.now + MAX_CLOCK_SKEW_MS + 60_000).value;
  const fresh = valueOf(m.cookieFor(headers(`sid=${future}`), PEER));
  assert.notEqual(fresh, future);
  signed(fresh, clock.now);
  assert.equal(m.stats.rejected, 1);
  const skewed = signer.mint(clock.now + MAX_CLOCK_SKEW_MS - 60_000).value;
  assert.equal(m.cookieFor(headers(`sid=${skewed}`), PEER), null, "another instance's clock");
  assert.equal(m.stats.rejected, 1);
});

Deno.test("SessionManager uses its cookie name and adds Secure when configured", () => {
  const { clock, m } = setup({ name: "id", secure: true });
  const v = valueOf(m.cookieFor(headers(), PEER), { name: "id", secure: true });
  signed(v, clock.now);
  const line = new TextDecoder().decode(m.setCookieLine(headers(), PEER) as Uint8Array);
  assert.match(
    line,
    /^Set-Cookie: id=[A-Za-z0-9_-]{52}; Path=\/; HttpOnly; SameSite=Lax; Secure\r\n$/,
  );
  assert.equal(m.cookieFor(headers(`id=${v}`), PEER), null, "read back under its own name");
  assert.notEqual(m.cookieFor(headers(`sid=${v}`), PEER), null, "not under another");
});
