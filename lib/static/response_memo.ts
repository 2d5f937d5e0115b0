/**
 * Memoized plans for the common request (from its second miss on, see DOOR_SLOTS): a GET or
 * HEAD of a small file, whole or a range of it (keyed by the Range value; a multipart answer
 * keeps its boundary), unconditional or revalidating with If-None-Match / If-Modified-Since
 * (keyed by their values: a browser that reloads a page asks the same question about the same
 * file version, and gets the memoized 304).
 * The plan (with its header fields, serialized once by HeadCache, and the body bytes from the
 * file cache) is reused for FileCacheRevalidate, the same interval the file cache trusts a stat
 * for, so an edit shows up within that interval either way (the file cache remembers "not
 * found" for as long, so a memoized 404 is no staler). Requests with If-Match,
 * If-Unmodified-Since or If-Range, and answers other than 200, 206, 304 and 404, go through the
 * responder each time.
 * @module
 */

import type { FieldList } from "../http/headers.ts";
import { discardBody, type ResponsePlan } from "./plan.ts";
import { fnv1a32Utf16 } from "../util/fnv.ts";
import { trimOldest } from "../util/map_trim.ts";

/**
 * Request fields whose presence keeps a request out of the memo: preconditions that guard a
 * write or a range against a changed file are checked against the file each time. Range,
 * If-None-Match and If-Modified-Since are part of the key instead: for a given file version,
 * the same value always gets the same answer (their evaluation does not read the clock).
 */
const UNMEMOIZED = ["if-match", "if-unmodified-since", "if-range"];

/** The letter that marks a field's value in a key, or null for a field that is not keyed. */
function keyMark(name: string): string | null {
  switch (name) {
    case "range":
      return "R";
    case "if-none-match":
      return "N";
    case "if-modified-since":
      return "M";
    default:
      return null;
  }
}

/**
 * Slots of the doorkeeper (as in TinyLFU): a key is memoized on its second miss, not its first,
 * so a flood of one-off targets (scanners, cache-busting query strings) neither evicts the hot
 * entries nor churns the map (admitting every key cost 10% of requests in GC pauses,
 * docs/PERFORMANCE.md). A slot holds a 32-bit fingerprint; a collision only admits a key early.
 */
export const DOOR_SLOTS = 4096;

/** FNV-1a over the UTF-16 code units of a key, never 0 (0 marks an empty slot). */
function fingerprint(key: string): number {
  return fnv1a32Utf16(key) | 1;
}

/** Fraction of the lifetime after which a used entry is planned again in the background. */
const REFRESH_AT = 0.75;

/** Memo settings. */
export interface MemoOptions {
  /** How long a plan is reused. */
  readonly ttlMs: number;
  /** Most plans kept. */
  readonly maxEntries: number;
  /** Largest body kept (bytes bodies only). */
  readonly maxBodyBytes: number;
  readonly now: () => number;
}

interface Entry {
  readonly plan: ResponsePlan;
  readonly expires: number;
  /** From this time on, the next request for the key plans a successor in the background. */
  readonly refreshAt: number;
  refreshing: boolean;
}

/** The entry a background successor is planned for (opaque to callers). */
export type Refresh = object;

/** A request as the memo sees it. */
export interface MemoRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: FieldList;
  /** Clients that cannot take a body of unknown length (HTTP/1.0) are memoized apart. */
  readonly streamable?: boolean;
}

/** Plans by (method, target, Accept-Encoding). */
export class ResponseMemo {
  readonly #o: MemoOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #door = new Int32Array(DOOR_SLOTS);
  #generation = 0;

  constructor(o: MemoOptions) {
    this.#o = o;
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  /** The key for a request, or null when it must not be memoized. */
  key(req: MemoRequest): string | null {
    if (req.method !== "GET" && req.method !== "HEAD") return null;
    const { names, values } = req.headers;
    let keyed = "";
    let seen = "";
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const mark = keyMark(name);
      if (mark !== null) {
        // The same field twice: let the responder judge (list rules, or an invalid request).
        if (seen.includes(mark)) return null;
        seen += mark;
        keyed += `\r${mark}${values[i]!}`;
      } else if (UNMEMOIZED.includes(name)) return null;
    }
    const ae = req.headers.get("accept-encoding");
    // The commonest key is the target itself: no string to build, and an interned target has
    // its hash cached. Other keys hold spaces, which a target never does, so none collide;
    // field values hold no CR or LF, so the parts after "\n" (Accept-Encoding) and each "\r"
    // (a keyed field, named by its letter) cannot be confused either. Keyed fields are added in
    // arrival order, which is part of the question asked; the answer does not depend on it.
    if (ae === undefined && keyed === "" && req.method === "GET" && req.streamable !== false) {
      return req.target;
    }
    return this.#baseKey(req, ae) + keyed;
  }

  #baseKey(req: MemoRequest, ae: string | undefined): string {
    const base = req.streamable === false
      ? `${req.method} ${req.target} 1.0`
      : `${req.method} ${req.target}`;
    return ae === undefined ? base : `${base}\n${ae}`;
  }

  /** Bumped by clear(): a plan made before a write must not be offered after it. */
  get generation(): number {
    return this.#generation;
  }

  /** A reusable plan for the key, if one is fresh. */
  get(key: string): ResponsePlan | null {
    const e = this.#entries.get(key);
    if (e === undefined) return null;
    if (this.#o.now() >= e.expires) {
      this.#entries.delete(key);
      return null;
    }
    return e.plan;
  }

  /**
   * Keep a plan when it is a 200, 206, 304 or 404 whose body is in memory (or absent, for HEAD
   * and 304). A 404's error.log note is part of the plan, so it is still logged for every
   * request.
   */
  offer(
    key: string,
    plan: ResponsePlan,
    generation = this.#generation,
    replacing: Refresh | null = null,
  ): boolean {
    if (generation !== this.#generation) return false;
    // A background successor replaces only the entry it was claimed for: if that one expired
    // and a newer plan took its place meanwhile, the older successor must not overwrite it.
    if (replacing !== null && this.#entries.get(key) !== replacing) return false;
    const st = plan.status;
    if (this.#o.ttlMs <= 0 || (st !== 200 && st !== 206 && st !== 304 && st !== 404)) {
      return false;
    }
    if (plan.status === 200 && plan.note !== undefined) return false;
    if (plan.extra !== undefined) return false;
    const b = plan.body;
    if (b.kind !== "none" && !(b.kind === "bytes" && b.data.length <= this.#o.maxBodyBytes)) {
      return false;
    }
    // A background successor replaces an entry that got in already; anything else waits for
    // its second miss.
    if (replacing === null && !this.#admit(key)) return false;
    this.#entries.delete(key); // re-inserted below: the newest
    const now = this.#o.now();
    const ttl = this.#o.ttlMs;
    this.#entries.set(key, {
      plan,
      expires: now + ttl,
      refreshAt: now + ttl * REFRESH_AT,
      refreshing: false,
    });
    trimOldest(this.#entries, this.#o.maxEntries);
    return this.#entries.has(key);
  }

  /** Whether a key missed recently already (and so may come in); remembers it otherwise. */
  #admit(key: string): boolean {
    const f = fingerprint(key);
    const slot = (f >>> 1) & (DOOR_SLOTS - 1);
    if (this.#door[slot] === f) return true;
    this.#door[slot] = f;
    return false;
  }

  /**
   * Whether the caller should plan a successor for a fresh entry now (once per entry, from its
   * refreshAt time on), so a hot key never expires into a burst of requests that all miss.
   * @returns a token for offer(), or null
   */
  claimRefresh(key: string): Refresh | null {
    const e = this.#entries.get(key);
    if (e === undefined || e.refreshing || this.#o.now() < e.refreshAt) return null;
    e.refreshing = true;
    return e;
  }

  /** Forget everything (a file was written or removed). */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

/**
 * Wrap a handler with a memo: fresh plans are returned without calling it. Writes clear it
 * through the file cache (see site.ts), the one place that knows a file changed.
 */
export function memoized<R extends MemoRequest>(
  memo: ResponseMemo,
  next: (req: R) => ResponsePlan | Promise<ResponsePlan>,
): (req: R) => ResponsePlan | Promise<ResponsePlan> {
  /** Plan a successor for a hot key while its entry still answers. */
  const refresh = (req: R, key: string, claimed: Refresh) => {
    const generation = memo.generation;
    Promise.resolve().then(() => next(req)).then(
      (plan) => {
        if (!memo.offer(key, plan, generation, claimed)) discardBody(plan);
      },
      () => {}, // the entry expires as usual; the next miss plans (and reports) afresh
    );
  };
  return (req) => {
    const key = memo.key(req);
    if (key === null) return next(req);
    const hit = memo.get(key);
    if (hit !== null) {
      const claimed = memo.claimRefresh(key);
      if (claimed !== null) refresh(req, key, claimed);
      return hit; // synchronous: no promise for the common case
    }
    const generation = memo.generation;
    return Promise.resolve(next(req)).then((plan) => {
      memo.offer(key, plan, generation);
      return plan;
    });
  };
}
