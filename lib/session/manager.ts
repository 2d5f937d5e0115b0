/**
 * The per-request session decision: which Set-Cookie (if any) a response carries.
 *
 * - No cookie, or one that fails the signature check: issue a new signed cookie. Nothing is written
 *   to the store, so clients that never send cookies back cost no store traffic.
 * - A valid cookie issued less than SessionTTL ago, or seen by this worker within SessionTTL:
 *   alive without any lookup; the record is created or refreshed by the next batch.
 * - Older: one store lookup, bounded by MemcachedTimeout. Found and alive, or store away: keep
 *   the session (fail open); unknown or expired: issue a new one.
 *
 * Updates (last seen, request count, client) are batched per session and written by
 * `flush()`, which the worker calls at most once a second.
 * @module
 */

import type { FieldList } from "../http/headers.ts";
import { trimOldest } from "../util/map_trim.ts";
import { findCookie, setCookie } from "./cookie.ts";
import { type ClientAddress, formatClient } from "./counters.ts";
import {
  COOKIE_VALUE_LENGTH,
  isAlive,
  type SessionBackend,
  SessionSigner,
  type SessionUpdate,
} from "./session.ts";

/** Most verified cookie values remembered (saves the signature check on repeat requests). */
export const VERIFIED_CACHE_SIZE = 10_000;
/** Most sessions waiting for the next batch; later ones skip that batch. */
export const MAX_PENDING_UPDATES = 100_000;
/** A cookie issued this far in the future (clock skew between instances) is still accepted. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/**
 * Set-Cookie lines are carved from slabs of this many bytes: allocating a typed array costs
 * ~0.7 µs in Deno, a subarray of a slab ~0.03 µs. A slab is freed when no line in it is alive.
 */
const LINE_SLAB_BYTES = 64 * 1024;

const encoder = new TextEncoder();
/** What a Set-Cookie line starts with, before the cookie's name. */
const SET_COOKIE = "Set-Cookie: ";
const decoder = new TextDecoder();

/** Session settings (from Config, with the key resolved by the main thread). */
export interface SessionOptions {
  readonly cookieName: string;
  readonly ttlS: number;
  readonly secure: boolean;
  readonly secret: string;
}

/** Cumulative counts for the status page. */
export interface SessionStats {
  /** New cookies sent. */
  issued: number;
  /** Requests that came with a valid, live session cookie. */
  resumed: number;
  /** Cookies that failed the signature check (forged, tampered, other key). */
  rejected: number;
  /** Valid cookies whose session had expired or was unknown. */
  renewed: number;
  /** Store lookups made on the request path. */
  lookups: number;
  /** Lookups the store could not answer in time (session kept). */
  unavailable: number;
}

interface Entry {
  readonly id: string;
  readonly issuedMs: number;
  seenMs: number;
}

interface Pending {
  readonly id: string;
  readonly createdMs: number;
  lastSeenMs: number;
  requests: number;
  client: ClientAddress;
}

/** One worker's sessions. */
export class SessionManager {
  readonly #signer: SessionSigner;
  readonly #backend: SessionBackend;
  readonly #now: () => number;
  readonly #name: string;
  readonly #ttlS: number;
  readonly #linePrefix: Uint8Array; // "Set-Cookie: <name>="
  readonly #lineSuffix: Uint8Array; // "; Path=/; HttpOnly; SameSite=Lax\r\n"
  readonly #lineLength: number;
  #slab = new Uint8Array(0);
  #slabAt = 0;
  readonly #verified = new Map<string, Entry>();
  #pending = new Map<string, Pending>();
  readonly stats: SessionStats = {
    issued: 0,
    resumed: 0,
    rejected: 0,
    renewed: 0,
    lookups: 0,
    unavailable: 0,
  };

  constructor(o: SessionOptions, backend: SessionBackend, now: () => number = Date.now) {
    this.#signer = new SessionSigner(o.secret);
    this.#backend = backend;
    this.#now = now;
    this.#name = o.cookieName;
    this.#ttlS = o.ttlS;
    // Validates the name once; every cookie value we mint is base64url, always valid.
    const suffix = setCookie(o.cookieName, "", { secure: o.secure }).slice(o.cookieName.length + 1);
    this.#linePrefix = encoder.encode(`${SET_COOKIE}${o.cookieName}=`);
    this.#lineSuffix = encoder.encode(`${suffix}\r\n`);
    this.#lineLength = this.#linePrefix.length + COOKIE_VALUE_LENGTH + this.#lineSuffix.length;
  }

  /**
   * The Set-Cookie value for the response to a request, or null (setCookieLine() as a string,
   * for tests and tools).
   */
  cookieFor(
    headers: FieldList,
    client: ClientAddress,
    mayIssue = true,
  ): string | null | Promise<string | null> {
    const line = this.setCookieLine(headers, client, mayIssue);
    return line instanceof Promise ? line.then(fieldValue) : fieldValue(line);
  }

  /**
   * The Set-Cookie field line (ending in CRLF) for the response to a request, or null.
   * Synchronous unless a store lookup is needed; a returned promise resolves within the store
   * timeout and never rejects.
   * @param headers the request's header fields
   * @param client the client's address (kept for the session record)
   * @param mayIssue whether this response may carry a new cookie (SessionCookieScope); when
   *   not, a returning client is still recognised and counted, and no cookie is made
   */
  setCookieLine(
    headers: FieldList,
    client: ClientAddress,
    mayIssue = true,
  ): Uint8Array | null | Promise<Uint8Array | null> {
    const now = this.#now();
    const raw = sessionCookie(headers, this.#name);
    if (raw === null) return mayIssue ? this.#issue(now) : null;
    let e = this.#verified.get(raw);
    if (e === undefined) {
      const t = this.#signer.open(raw);
      if (t === null || t.issuedMs > now + MAX_CLOCK_SKEW_MS) {
        this.stats.rejected++;
        return mayIssue ? this.#issue(now) : null;
      }
      e = { id: t.id, issuedMs: t.issuedMs, seenMs: 0 };
      this.#verified.set(raw, e);
      trimOldest(this.#verified, VERIFIED_CACHE_SIZE);
    }
    if (isAlive(e.issuedMs, now, this.#ttlS) || isAlive(e.seenMs, now, this.#ttlS)) {
      this.#touch(e, now, client);
      return null;
    }
    return this.#check(raw, e, client, mayIssue);
  }

  async #check(
    raw: string,
    e: Entry,
    client: ClientAddress,
    mayIssue: boolean,
  ): Promise<Uint8Array | null> {
    this.stats.lookups++;
    const l = await this.#backend.lookup(e.id).catch(() => ({ kind: "unavailable" as const }));
    const now = this.#now();
    if (l.kind === "unavailable") this.stats.unavailable++;
    if (
      l.kind === "unavailable" ||
      (l.kind === "found" && isAlive(l.record.lastSeenMs, now, this.#ttlS))
    ) {
      this.#touch(e, now, client);
      return null;
    }
    this.#verified.delete(raw);
    if (!mayIssue) return null;
    this.stats.renewed++;
    return this.#issue(now);
  }

  /** A new signed cookie, as a whole Set-Cookie line written straight into bytes. */
  #issue(now: number): Uint8Array {
    this.stats.issued++;
    const line = this.#line();
    this.#signer.mintInto(now, line, this.#linePrefix.length);
    return line;
  }

  /** A Set-Cookie line with its prefix and suffix in place, for the value to be written in. */
  #line(): Uint8Array {
    const n = this.#lineLength;
    if (this.#slabAt + n > this.#slab.length) {
      this.#slab = new Uint8Array(LINE_SLAB_BYTES);
      this.#slabAt = 0;
    }
    const line = this.#slab.subarray(this.#slabAt, this.#slabAt += n);
    line.set(this.#linePrefix);
    line.set(this.#lineSuffix, this.#linePrefix.length + COOKIE_VALUE_LENGTH);
    return line;
  }

  #touch(e: Entry, now: number, client: ClientAddress): void {
    this.stats.resumed++;
    e.seenMs = now;
    const p = this.#pending.get(e.id);
    if (p !== undefined) {
      p.lastSeenMs = now;
      p.requests++;
      p.client = client;
    } else if (this.#pending.size < MAX_PENDING_UPDATES) {
      this.#pending.set(e.id, {
        id: e.id,
        createdMs: e.issuedMs,
        lastSeenMs: now,
        requests: 1,
        client,
      });
    }
  }

  /** Sessions waiting for the next batch. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Write the batched updates (never rejects). */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch: SessionUpdate[] = [];
    for (const p of this.#pending.values()) batch.push({ ...p, client: formatClient(p.client) });
    this.#pending = new Map();
    try {
      await this.#backend.putSessions(batch, this.#ttlS);
    } catch { /* the backend falls back by itself; a lost batch only delays a last-seen */ }
  }
}

/** The field value of a "Set-Cookie: value\r\n" line. */
function fieldValue(line: Uint8Array | null): string | null {
  return line === null ? null : decoder.decode(line.subarray(SET_COOKIE.length, line.length - 2));
}

/** The first cookie called `name` in any Cookie field of a request. */
export function sessionCookie(headers: FieldList, name: string): string | null {
  const names = headers.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== "cookie") continue;
    const v = findCookie(headers.values[i]!, name);
    if (v !== null) return v;
  }
  return null;
}
