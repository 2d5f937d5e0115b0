/**
 * HTTP Basic authentication (RFC 7617) against a PasswordFile's users. Credentials are decoded
 * as UTF-8 (the challenge says `charset="UTF-8"`, §2.1). A PBKDF2 check costs ~0.1-0.2 s of
 * CPU, so successful checks are remembered in a bounded in-memory cache keyed by an HMAC of
 * (user, password) under a per-process random key: a hit costs one HMAC, and the cache holds
 * no password or fast unsalted hash of one. Concurrent checks of the same credentials share one
 * hash (parallel uploads). Checks that would hash go through a PasswordGate
 * (password_gate.ts): failed credentials are remembered for a while, each client may start a
 * few per second, and a worker hashes one at a time.
 *
 * ```
 * Authorization: Basic YWxpY2U6c2VjcmV0        ; base64("alice:secret")
 * WWW-Authenticate: Basic realm="httpserver", charset="UTF-8"
 * ```
 * @module
 */

import { trimOldest } from "../util/map_trim.ts";
import { PasswordGate } from "./password_gate.ts";
import {
  decodeBase64,
  HASH_BYTES,
  type PasswordHash,
  PBKDF2_DEFAULT_ITERATIONS,
  SALT_BYTES,
  verifyPassword,
} from "./password_file.ts";

/** The challenge sent with 401 responses. */
export const BASIC_CHALLENGE = 'Basic realm="httpserver", charset="UTF-8"';

/** Successful checks remembered per worker. */
export const AUTH_CACHE_ENTRIES = 1024;

/** A user-id and password from an Authorization field. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** The outcome of checking a request's credentials. */
export type AuthResult =
  | { readonly kind: "ok"; readonly user: string }
  /** No Basic credentials were sent: challenge the client. */
  | { readonly kind: "missing" }
  /** Malformed credentials, unknown user or wrong password (also answered with a challenge). */
  | { readonly kind: "invalid"; readonly reason: string }
  /** Credentials cannot be checked at all (PasswordFile unreadable): a server error. */
  | { readonly kind: "unavailable"; readonly reason: string }
  /**
   * Not checked: the client started too many checks (429, "throttled") or too many are queued
   * (503, "busy"); `log` is true for the first of a run, so a flood writes few lines.
   */
  | {
    readonly kind: "throttled" | "busy";
    readonly retryAfterS: number;
    readonly reason: string;
    readonly log: boolean;
  };

/** Checks the Authorization field of a request. */
export interface Authenticator {
  /**
   * @param clientIp the client's address, for its allowance of password checks (the
   *   connection's peer, or the address a proxy vouches for)
   */
  check(authorization: string | undefined, clientIp?: string): Promise<AuthResult>;
}

const TOKEN68_RE = /^[A-Za-z0-9\-._~+/]+=*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Parse an Authorization value with the Basic scheme (RFC 7617 §2).
 * @returns the credentials; "missing" when the field is absent or uses another scheme; null
 *   when it is Basic but malformed (bad base64, not UTF-8, no colon, control characters)
 * @example
 * ```ts
 * parseBasicCredentials("Basic YWxpY2U6c2VjcmV0"); // { user: "alice", password: "secret" }
 * parseBasicCredentials("Bearer abc"); // "missing"
 * ```
 */
export function parseBasicCredentials(value: string | undefined): Credentials | "missing" | null {
  if (value === undefined) return "missing";
  // The parser removed the value's leading and trailing OWS; `credentials = auth-scheme
  // [ 1*SP token68 ]` (RFC 9110 §11.4) allows only SP between the parts. No trim(): it would
  // also strip NBSP (0xA0).
  const sp = value.indexOf(" ");
  const scheme = sp < 0 ? value : value.slice(0, sp);
  if (scheme.toLowerCase() !== "basic") return "missing";
  let at = sp + 1;
  while (at < value.length && value.charCodeAt(at) === 0x20) at++;
  const token = value.slice(at);
  if (sp < 0 || !TOKEN68_RE.test(token)) return null;
  const bytes = decodeBase64(token);
  if (bytes === null) return null;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0 || hasControl(text)) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** RFC 7617 §2: user-id and password contain no control characters (CTL, RFC 5234). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Checks Basic credentials against a fixed user table, caching successes. */
export class BasicAuthenticator implements Authenticator {
  readonly #users: ReadonlyMap<string, PasswordHash>;
  readonly #verify: (password: string, h: PasswordHash) => Promise<boolean>;
  readonly #max: number;
  readonly #cache = new Map<string, string>(); // HMAC(user, password) -> user
  readonly #dummy: PasswordHash;
  readonly #gate: PasswordGate | null;
  /** Checks under way, by credentials key. */
  readonly #running = new Map<string, Promise<AuthResult>>();
  #key: Promise<CryptoKey> | null = null;

  /**
   * @param users user -> hash, from parsePasswordFile()
   * @param opts `cacheEntries`: successes remembered; `verify`: the hash check (tests);
   *   `gate`: limits on checks that hash (none: every check hashes at once)
   */
  constructor(
    users: ReadonlyMap<string, PasswordHash>,
    opts: {
      readonly cacheEntries?: number;
      readonly verify?: (password: string, h: PasswordHash) => Promise<boolean>;
      readonly gate?: PasswordGate;
    } = {},
  ) {
    this.#users = users;
    this.#max = opts.cacheEntries ?? AUTH_CACHE_ENTRIES;
    this.#verify = opts.verify ?? verifyPassword;
    this.#gate = opts.gate ?? null;
    // Checked for unknown users, at the cost of a real one; never matches (its key is random).
    this.#dummy = {
      iterations: users.values().next().value?.iterations ?? PBKDF2_DEFAULT_ITERATIONS,
      salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
      hash: crypto.getRandomValues(new Uint8Array(HASH_BYTES)),
    };
  }

  async check(authorization: string | undefined, clientIp = ""): Promise<AuthResult> {
    const c = parseBasicCredentials(authorization);
    if (c === "missing") return { kind: "missing" };
    if (c === null) return { kind: "invalid", reason: "malformed Basic credentials" };
    const key = await this.#cacheKey(c);
    if (this.#cache.get(key) === c.user) {
      this.#remember(key, c.user); // most recently used
      return { kind: "ok", user: c.user };
    }
    // The same credentials already being checked (a client's parallel uploads): share that
    // check rather than hash again or spend the client's allowance of checks on it.
    const running = this.#running.get(key);
    if (running !== undefined) return await running;
    const result = this.#checkOnce(c, key, clientIp);
    this.#running.set(key, result);
    try {
      return await result;
    } finally {
      this.#running.delete(key);
    }
  }

  async #checkOnce(c: Credentials, key: string, clientIp: string): Promise<AuthResult> {
    const who = `user ${JSON.stringify(c.user.slice(0, 64))}`;
    const gate = this.#gate;
    // Known and unknown users take the same path from here: timing does not tell them apart.
    if (gate?.failedRecently(key)) {
      return { kind: "invalid", reason: `${who}: the same wrong credentials again` };
    }
    const h = this.#users.get(c.user);
    // An unknown user costs a full check too, so timing does not tell which users exist.
    const hash = () => this.#verify(c.password, h ?? this.#dummy);
    let ok: boolean;
    if (gate === null) {
      ok = await hash() && h !== undefined;
    } else {
      const r = await gate.run(clientIp, hash);
      if ("kind" in r) {
        const reason = r.kind === "throttled"
          ? `client ${clientIp}: more than AuthAttemptsPerSecond password checks`
          : "MaxPasswordChecks password checks running or waiting";
        return { kind: r.kind, retryAfterS: r.retryAfterS, reason, log: r.first };
      }
      ok = r.value && h !== undefined;
      if (ok) r.refund();
      else gate.rememberFailure(key);
    }
    if (!ok) {
      return {
        kind: "invalid",
        reason: `${who}: ${h === undefined ? "unknown user" : "wrong password"}`,
      };
    }
    this.#remember(key, c.user);
    return { kind: "ok", user: c.user };
  }

  #remember(key: string, user: string): void {
    if (this.#max === 0) return;
    this.#cache.delete(key);
    this.#cache.set(key, user);
    trimOldest(this.#cache, this.#max);
  }

  async #cacheKey(c: Credentials): Promise<string> {
    this.#key ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]) as Promise<CryptoKey>;
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      encoder.encode(`${c.user}\0${c.password}`),
    );
    return new Uint8Array(mac).toBase64();
  }
}

/** An Authenticator for a PasswordFile that could not be loaded: every write is a 500. */
export function unavailableAuthenticator(reason: string): Authenticator {
  return { check: () => Promise.resolve({ kind: "unavailable", reason }) };
}
