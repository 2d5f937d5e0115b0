/**
 * One client connection: read bytes, parse heads, hand requests to the responder, write the
 * plans, keep alive and pipeline strictly in order, enforce timeouts. It sees a Transport and
 * peer metadata only, so it runs in unit tests without sockets.
 * @module
 */

import { checkHead, type HeadCheck } from "../http/framing.ts";
import { clientWantsKeepAlive } from "../http/keep_alive.ts";
import type { Limits } from "../http/limits.ts";
import { PARSE_ERRORS, type ParseErrorCode } from "../http/parse_errors.ts";
import { type RequestHead, RequestParser } from "../http/request_parser.ts";
import { CONTINUE_100, type ResponseFields } from "../http/response_head.ts";
import type { AccessRecord } from "../log/access_log.ts";
import { discardBody, type ResponsePlan } from "../static/plan.ts";
import type { StaticRequest } from "../static/responder.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { BodyError, BodyReader, type InputBuffer } from "./body_reader.ts";
import { BeforeHeadError, type Transport, writeAll, writeResponse } from "./body_writer.ts";
import { FramePool, HEAD_ROOM } from "./frame_pool.ts";
import { HeadCache } from "./head_cache.ts";
import type { Slotted } from "./slot_list.ts";

const NO_FIELDS: ResponseFields = [];
const RETRY_SOON: ResponseFields = [["Retry-After", "1"]];
Object.freeze(RETRY_SOON);
const CLOSE: ResponseFields = [["Connection", "close"]];
Object.freeze(CLOSE);
const KEEP_ALIVE: ResponseFields = [["Connection", "keep-alive"]];
Object.freeze(KEEP_ALIVE);

/** The client end of a connection. */
export interface Peer {
  readonly ip: string;
  readonly port: number;
}

/** A request as handlers see it. */
export interface ServerRequest extends StaticRequest {
  readonly versionMinor: number;
  readonly peer: Peer;
}

/** Settings for every connection of a worker (from Config). */
export interface ConnectionSettings {
  readonly limits: Limits;
  readonly maxRequestsPerConnection: number;
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly serverHeader: string;
  readonly readChunkSize: number;
}

/** Plans a response; synchronous when it can be (a memoized plan), so no promise is made. */
export type Handler = (req: ServerRequest) => ResponsePlan | Promise<ResponsePlan>;

/** What a connection calls out to. */
export interface ConnectionHooks {
  handle: Handler;
  errorPlan(status: number, method: string, message?: string): ResponsePlan;
  /** The Date header value for now (cached per second). */
  date(): string;
  access(rec: AccessRecord): void;
  error(level: "debug" | "info" | "warn" | "error" | "crit", message: string, peer?: Peer): void;
  /** Whether the server is shutting down (finish the current response, then close). */
  draining(): boolean;
  /** Head serializer shared by a worker's connections (one per connection when absent). */
  readonly heads?: HeadCache;
  /**
   * The worker's clock, shared with the site: the connection refreshes it when a read or write
   * completes, and reads it for deadlines and log times (default: one of its own).
   */
  readonly clock?: LoopClock;
  /** Reusable frames for small in-memory bodies (none: a fresh buffer per response). */
  readonly frames?: FramePool;
  /** Called after each response, e.g. for counters. */
  responded?(req: ServerRequest | null, status: number, bytes: number): void;
}

/** Where a connection is in its life; decides what a timeout does. */
export type Phase = "idle" | "head" | "body" | "handling" | "writing" | "closed";

/** Read buffer of a new or idle connection; grows for long heads and bodies. */
const INITIAL_BUFFER = 2048;
/**
 * Read buffers and parsers of closed connections, reused by new ones: allocating a typed array
 * costs ~0.7 µs in Deno, and a client that opens a connection per request pays two of them.
 * Bounded, so a burst of connections leaves at most this many behind (about 2.3 KiB each).
 */
const MAX_SPARES = 1024;
const spareBuffers: Uint8Array[] = [];
const spareParsers: RequestParser[] = [];
const NO_BYTES = new Uint8Array(0);
const MAX_BODY_BUFFER = 65536;
const DRAIN_LIMIT = 65536; // unread body bytes we read and discard to keep a connection
const COALESCE_BYTES = 65536;
/** #exchange's answer when the response waits in #out for run() to write. */
const QUICK = Symbol("quick");

/** Drives one connection until it closes. */
export class Connection implements InputBuffer, Slotted {
  /** Index in the worker's list of open connections (see slot_list.ts). */
  slot = -1;
  buf: Uint8Array = spareBuffers.pop() ?? new Uint8Array(INITIAL_BUFFER);
  start = 0;
  end = 0;
  /** Epoch ms after which onTimeout() acts; Infinity when no timer runs. */
  deadline = Infinity;
  phase: Phase = "idle";
  readonly #t: Transport;
  readonly #peer: Peer;
  readonly #s: ConnectionSettings;
  readonly #h: ConnectionHooks;
  readonly #parser: RequestParser;
  readonly #heads: HeadCache;
  readonly #clock: LoopClock;
  /** The transport for large bodies: each completed write moves the send deadline forward. */
  #progressTransport: Transport | null = null;
  #requests = 0;
  #responseStarted = false;
  /** A 408 went out: whatever arrives afterwards is not answered. */
  #timedOut = false;
  // The response run() writes on the quick path (see #prepareQuick).
  #out: Uint8Array | null = null;
  #outFrame: Uint8Array | null = null;
  #outBody: Uint8Array | null = null;
  #outReq: ServerRequest | null = null;
  #outStatus = 0;
  #outKeep = false;
  #noDelay = false;

  constructor(t: Transport, peer: Peer, settings: ConnectionSettings, hooks: ConnectionHooks) {
    this.#t = t;
    this.#peer = peer;
    this.#s = settings;
    this.#h = hooks;
    const spare = spareParsers.pop();
    this.#parser = spare !== undefined && spare.limits === settings.limits
      ? spare
      : new RequestParser(settings.limits);
    this.#heads = hooks.heads ?? new HeadCache(settings.serverHeader, hooks.date);
    this.#clock = hooks.clock ?? new LoopClock();
  }

  /** The transport for large bodies: each completed write moves the send deadline forward. */
  get #progress(): Transport {
    const t = this.#t;
    return this.#progressTransport ??= {
      read: (p) => t.read(p),
      write: async (p) => {
        const n = await t.write(p);
        const now = this.#clock.refresh();
        if (this.phase === "writing") this.deadline = now + this.#s.sendTimeoutMs;
        return n;
      },
      close: () => t.close(),
    };
  }

  /** Keep the read buffer and parser for the next connection (once nothing reads into them). */
  #recycle(): void {
    if (this.buf.length === INITIAL_BUFFER && spareBuffers.length < MAX_SPARES) {
      spareBuffers.push(this.buf);
    }
    this.buf = NO_BYTES;
    this.start = this.end = 0;
    if (spareParsers.length < MAX_SPARES) spareParsers.push(this.#parser);
  }

  /**
   * Serve requests until the client or the server ends the connection. The common exchange (a
   * request without a body, a plan that is ready at once, a small body in memory) runs inside
   * this loop with one awaited read and one awaited write and no other promise: each async
   * function between them cost a promise and microtask hops (measured in one isolate, 1 KiB,
   * sessions off: 95k -> 111k req/s when they went).
   */
  async run(): Promise<void> {
    try {
      this.#beginHead();
      for (;;) {
        if (this.#timedOut) break;
        const r = this.#bufferedHead();
        if (r === null) {
          if (this.#h.draining() && this.idle) break;
          if (this.end === this.buf.length) {
            if (this.start === 0 && this.buf.length >= this.#s.limits.maxHeaderBytes) {
              await this.#reject("headers-too-large", null);
              break;
            }
            this.#makeRoom();
          }
          // fill(), inlined; the whole buffer itself when it is empty (no view to make).
          const n = await this.#t.read(this.end === 0 ? this.buf : this.buf.subarray(this.end));
          this.#clock.refresh();
          if (n === null || n === 0) break;
          this.end += n;
          continue;
        }
        if (typeof r === "string") {
          await this.#reject(r, null);
          break;
        }
        const step = this.#exchange(r);
        if (step === QUICK) {
          const out = this.#out!;
          try {
            let off = await this.#t.write(out);
            // A client slow to read: the next deadlines count from when the write ended.
            while (off < out.length) {
              off += await this.#t.write(out.subarray(off));
              this.#clock.refresh();
            }
          } finally {
            this.#quickDone();
          }
          if (!this.#outKeep) break;
        } else if (!(step instanceof Promise ? await step : step)) break;
        this.#beginHead();
      }
    } catch (e) {
      if (this.phase !== "closed") {
        this.#h.error("debug", `connection ended: ${describe(e)}`, this.#peer);
      }
    } finally {
      this.close();
      this.#recycle();
    }
  }

  /** Close now (idempotent). Pending reads and writes fail, which ends run(). */
  close(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.deadline = Infinity;
    try {
      this.#t.close();
    } catch { /* already closed */ }
  }

  /** Called by the worker's sweeper once the deadline has passed. */
  onTimeout(): void {
    const p = this.phase;
    if ((p === "head" || p === "body") && !this.#responseStarted) {
      this.deadline = Infinity;
      this.#responseStarted = true;
      this.#timedOut = true;
      const plan = this.#h.errorPlan(408, "GET");
      const data = plan.body.kind === "bytes" ? plan.body.data : null;
      const send = this.#headBytes(plan, false, 1, data);
      this.#log(null, 408, data?.length ?? 0);
      const timer = setTimeout(() => this.close(), 1000);
      writeAll(this.#t, send).catch(() => {}).finally(() => {
        clearTimeout(timer);
        this.close();
      });
      return;
    }
    this.close();
  }

  /** True while waiting for a new request with nothing buffered (safe to close on shutdown). */
  get idle(): boolean {
    return this.phase === "idle" && this.start === this.end;
  }

  /** InputBuffer: read more bytes, compacting or growing the buffer first. */
  async fill(): Promise<boolean> {
    if (this.end === this.buf.length) this.#makeRoom();
    const n = await this.#t.read(this.buf.subarray(this.end));
    this.#clock.refresh();
    if (n === null || n === 0) return false;
    this.end += n;
    return true;
  }

  #makeRoom(): void {
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    } else {
      const max = Math.max(this.#s.limits.maxHeaderBytes, MAX_BODY_BUFFER);
      const next = new Uint8Array(Math.min(this.buf.length * 2, max));
      next.set(this.buf.subarray(0, this.end));
      this.buf = next;
    }
  }

  /** Get ready for the next request head. */
  #beginHead(): void {
    this.#parser.reset();
    if (this.start === this.end) {
      // Everything read was used: read the next request from the front, in one read, rather
      // than into what is left at the end of the buffer.
      this.start = this.end = 0;
      // Idle connections hold little memory.
      if (this.buf.length > INITIAL_BUFFER) {
        this.buf = spareBuffers.pop() ?? new Uint8Array(INITIAL_BUFFER);
      }
    }
    this.#setIdle();
  }

  /**
   * The next request head when the buffer holds all of it; null when more bytes are needed;
   * the error code when what arrived is not a valid head.
   */
  #bufferedHead(): RequestHead | ParseErrorCode | null {
    if (this.start === this.end) return null;
    const r = this.start === 0
      ? this.#parser.feed(this.buf, this.end)
      : this.#parser.feed(this.buf.subarray(this.start, this.end));
    if (r.kind === "head") {
      this.start += r.consumed;
      return r.head;
    }
    if (r.kind === "error") return r.code;
    if (this.phase === "idle" && this.#parser.started) {
      this.#setPhase("head", this.#s.headerTimeoutMs);
    }
    return null;
  }

  #setIdle(): void {
    const first = this.#requests === 0;
    this.phase = "idle";
    this.deadline = this.#clock.now() + (first ? this.#s.headerTimeoutMs : this.#s.idleTimeoutMs);
  }

  #setPhase(p: Phase, timeoutMs: number): void {
    this.phase = p;
    this.deadline = timeoutMs === Infinity ? Infinity : this.#clock.now() + timeoutMs;
  }

  /**
   * Start one request/response exchange. Returns QUICK when the whole response is ready in #out
   * for run() to write; otherwise whether the connection stays open, as a promise when the
   * exchange has to wait (a body to read, a plan not ready, a file to stream).
   */
  #exchange(head: RequestHead): typeof QUICK | boolean | Promise<boolean> {
    this.#requests++;
    this.#responseStarted = false;
    const check = checkHead(head, this.#s.limits.maxBodySize);
    if (check.kind === "error") return this.#reject(check.code, head).then(() => false);
    const body = check.framing.kind === "none" ? null : new BodyReader(
      this,
      check.framing,
      this.#s.limits,
      check.expectContinue
        ? () => {
          this.#setNoDelay(); // the final response follows the interim one
          return writeAll(this.#t, CONTINUE_100);
        }
        : null,
      // The body has arrived: the handler's own work is not subject to RequestTimeout.
      () => this.#setPhase("handling", Infinity),
    );
    const req: ServerRequest = {
      method: head.method,
      target: head.target,
      headers: head.headers,
      body,
      versionMinor: head.versionMinor,
      peer: this.#peer,
    };
    this.#setPhase(
      body === null ? "handling" : "body",
      body === null ? Infinity : this.#s.requestTimeoutMs,
    );
    const planned = this.#plan(req);
    if (body === null && !(planned instanceof Promise)) {
      const data = smallBody(planned);
      if (data !== null) {
        const keep = this.#keepAlive(head, planned) && !this.#h.draining();
        this.#prepareQuick(req, planned, data, keep, head.versionMinor);
        return QUICK;
      }
    }
    return this.#finish(head, check, body, req, planned);
  }

  #keepAlive(head: RequestHead, plan: ResponsePlan): boolean {
    return clientWantsKeepAlive(head.versionMinor, head.headers) && !plan.close &&
      (this.#s.maxRequestsPerConnection === 0 || this.#requests < this.#s.maxRequestsPerConnection);
  }

  /**
   * Start the response and fill #out with the head and small body of `plan` in one buffer (a
   * pooled frame when one is free), for one write; #quickDone() follows the write.
   */
  #prepareQuick(
    req: ServerRequest | null,
    plan: ResponsePlan,
    body: Uint8Array,
    keep: boolean,
    minor: number,
  ): void {
    // One write and then the close flushes everything: only a connection that stays open (or
    // a response in several writes) can have a small segment held back by Nagle.
    if (keep) this.#setNoDelay();
    this.#startResponse(plan);
    this.#outReq = req;
    this.#outStatus = plan.status;
    this.#outBody = body;
    this.#outKeep = keep;
    this.#outFrame = null;
    try {
      const frames = this.#h.frames;
      const frame = frames?.acquire(body) ?? null;
      if (frame !== null) {
        this.#outFrame = frame; // from here on #quickDone gives it back, even if a field throws
        const extra = this.#extra(plan, keep, minor);
        const start = this.#heads.writeBefore(
          plan.status,
          plan.fields,
          extra,
          plan.extraLines ?? null,
          frame,
          HEAD_ROOM,
        );
        if (start >= 0) {
          this.#out = frame.subarray(start);
          return;
        }
        this.#outFrame = null;
        frames!.release(body, frame);
      }
      this.#out = this.#headBytes(plan, keep, minor, body);
    } catch (e) {
      this.#quickDone();
      throw e;
    }
  }

  /**
   * TCP_NODELAY, once per connection, before the first response that is not one write followed
   * by the close (as nginx does, which sets it when a connection goes keep-alive): with Nagle, a
   * small response behind an unacknowledged one would wait for the client's delayed ACK. A
   * connection per request skips the system call.
   */
  #setNoDelay(): void {
    if (this.#noDelay) return;
    this.#noDelay = true;
    try {
      this.#t.setNoDelay?.(true);
    } catch { /* the client is gone: the write will say so */ }
  }

  /**
   * From here on the response is being written: no 408 may replace it, SendTimeout runs (an
   * inactivity limit: #progress pushes the deadline after every write), and the plan's
   * error-log note is written.
   */
  #startResponse(plan: ResponsePlan): void {
    this.#responseStarted = true;
    this.#setPhase("writing", this.#s.sendTimeoutMs);
    if (plan.note !== undefined) this.#h.error(plan.note.level, plan.note.message, this.#peer);
  }

  /** After the quick write (done or failed): give the frame back, log the response. */
  #quickDone(): void {
    const body = this.#outBody!;
    if (this.#outFrame !== null) this.#h.frames!.release(body, this.#outFrame);
    const req = this.#outReq;
    this.#out =
      this.#outFrame =
      this.#outBody =
      this.#outReq =
        null;
    this.#log(req, this.#outStatus, body.length);
  }

  /** The rest of an exchange that has to wait. */
  async #finish(
    head: RequestHead,
    check: Extract<HeadCheck, { kind: "ok" }>,
    body: BodyReader | null,
    req: ServerRequest,
    planned: ResponsePlan | Promise<ResponsePlan>,
  ): Promise<boolean> {
    let plan = planned instanceof Promise ? await planned : planned;
    if (this.phase === "closed" || this.#responseStarted) {
      discardBody(plan); // timed out (408 sent) or closed while the handler ran
      return false;
    }
    let keep = this.#keepAlive(head, plan);
    if (body !== null && !body.done) {
      if (body.error === null) this.#setPhase("body", this.#s.requestTimeoutMs);
      // A client waiting for 100 Continue has not sent the body: answer now and close rather
      // than invite a body we do not want (RFC 9110 §10.1.1).
      if (check.expectContinue && !body.started) keep = false;
      else if (body.error !== null || !(await body.drain(DRAIN_LIMIT))) keep = false;
      if (body.error !== null) {
        const replaced = this.#bodyErrorPlan(body.error, req.method, plan);
        if (replaced !== plan) discardBody(plan);
        plan = replaced;
      }
    }
    // (The phase may have changed while draining: read it afresh, not as narrowed above.)
    if ((this.phase as Phase) === "closed" || this.#responseStarted) {
      discardBody(plan); // the drain timed out (408 sent) or the client went away
      return false;
    }
    if (this.#h.draining()) keep = false;
    await this.#send(req, plan, keep && !plan.close, head.versionMinor);
    return keep && !plan.close;
  }

  #plan(req: ServerRequest): ResponsePlan | Promise<ResponsePlan> {
    try {
      const p = this.#h.handle(req);
      return p instanceof Promise ? p.catch((e) => this.#failed(req, e)) : p;
    } catch (e) {
      return this.#failed(req, e);
    }
  }

  #failed(req: ServerRequest, e: unknown): ResponsePlan {
    if (e instanceof BodyError) return this.#bodyErrorPlan(e, req.method, null);
    this.#h.error(
      "crit",
      `handler failed for ${req.method} ${req.target}: ${describe(e)}`,
      this.#peer,
    );
    return this.#h.errorPlan(500, req.method);
  }

  #bodyErrorPlan(e: BodyError, method: string, fallback: ResponsePlan | null): ResponsePlan {
    if (e.code === "client-closed") return fallback ?? this.#h.errorPlan(400, method);
    if (e.code === "timeout") return this.#h.errorPlan(408, method);
    const info = PARSE_ERRORS[e.code];
    this.#h.error("info", `bad request body: ${info.message}`, this.#peer);
    return { ...this.#h.errorPlan(info.status, method, info.message), close: true };
  }

  async #send(
    req: ServerRequest | null,
    plan: ResponsePlan,
    keep: boolean,
    minor: number,
  ): Promise<void> {
    const data = smallBody(plan);
    if (data !== null) {
      // A small response that had to wait (a body, a plan not ready at once): built as on the
      // quick path, written here.
      this.#prepareQuick(req, plan, data, keep, minor);
      try {
        await writeAll(this.#t, this.#out!);
      } finally {
        this.#quickDone();
      }
      return;
    }
    this.#setNoDelay();
    this.#startResponse(plan);
    const head = this.#headBytes(plan, keep, minor);
    let bytes = 0;
    let status = plan.status;
    try {
      bytes = await writeResponse(this.#progress, head, plan.body, {
        coalesceBytes: COALESCE_BYTES,
        chunkSize: this.#s.readChunkSize,
      });
    } catch (e) {
      if (!(e instanceof BeforeHeadError)) throw e;
      status = await this.#sendInstead(e, req?.method ?? "GET", keep, minor);
    } finally {
      this.#log(req, status, bytes);
    }
  }

  /**
   * Nothing of the response was written yet and its file is gone or was replaced since it was
   * planned: answer 404, or 503 with Retry-After (the next request sees the new version).
   */
  async #sendInstead(
    e: BeforeHeadError,
    method: string,
    keep: boolean,
    minor: number,
  ): Promise<number> {
    const status = e.reason === "gone" ? 404 : e.reason === "changed" ? 503 : 500;
    this.#h.error(status === 500 ? "error" : "info", e.message, this.#peer);
    const plan = this.#h.errorPlan(status, method);
    const alt = status === 503 ? { ...plan, extraFields: RETRY_SOON } : plan;
    const data = alt.body.kind === "bytes" ? alt.body.data : null;
    await writeAll(this.#t, this.#headBytes(alt, keep && !alt.close, minor, data));
    return status;
  }

  #extra(plan: ResponsePlan, keep: boolean, minor: number): ResponseFields {
    const extra = plan.extraFields ?? NO_FIELDS;
    const connection = !keep ? CLOSE : minor === 0 ? KEEP_ALIVE : null;
    // Frozen constants when alone: HeadCache encodes a frozen array once.
    if (connection === null) return extra;
    return extra.length === 0 ? connection : [...extra, ...connection];
  }

  #headBytes(
    plan: ResponsePlan,
    keep: boolean,
    minor = 1,
    body: Uint8Array | null = null,
  ): Uint8Array {
    const extra = this.#extra(plan, keep, minor);
    return this.#heads.build(plan.status, plan.fields, extra, body, plan.extraLines ?? null);
  }

  async #reject(code: ParseErrorCode, head: RequestHead | null): Promise<void> {
    const info = PARSE_ERRORS[code];
    const method = head?.method === "HEAD" ? "HEAD" : "GET";
    this.#h.error("info", `bad request: ${info.message}`, this.#peer);
    const plan = this.#h.errorPlan(info.status, method, info.message);
    const line = head === null ? rawRequestLine(this.buf, this.start, this.end) : requestLine(head);
    this.#responseStarted = true;
    this.#setPhase("writing", this.#s.sendTimeoutMs);
    const headBytes = this.#headBytes(plan, false);
    let bytes = 0;
    try {
      bytes = await writeResponse(this.#t, headBytes, plan.body, {
        coalesceBytes: COALESCE_BYTES,
        chunkSize: 4096,
      });
    } finally {
      this.#logLine(line, null, plan.status, bytes);
    }
  }

  #log(req: ServerRequest | null, status: number, bytes: number): void {
    this.#logLine(req === null ? null : requestLine(req), req, status, bytes);
  }

  #logLine(line: string | null, req: ServerRequest | null, status: number, bytes: number): void {
    this.#h.access({
      client: this.#peer.ip,
      user: null,
      timeMs: this.#clock.now(),
      requestLine: line,
      status,
      bytes,
      referer: req?.headers.get("referer"),
      userAgent: req?.headers.get("user-agent"),
    });
    this.#h.responded?.(req, status, bytes);
  }
}

let lastMethod = "";
let lastTarget = "";
let lastMinor = -1;
let lastRequestLine = "";

/** The request line for the log (the last one is remembered: its parts are interned strings). */
function requestLine(r: { method: string; target: string; versionMinor: number }): string {
  if (r.method !== lastMethod || r.target !== lastTarget || r.versionMinor !== lastMinor) {
    lastMethod = r.method;
    lastTarget = r.target;
    lastMinor = r.versionMinor;
    lastRequestLine = `${r.method} ${r.target} HTTP/1.${r.versionMinor}`;
  }
  return lastRequestLine;
}

/** The first line of what the client sent (for the log of a request that did not parse). */
export function rawRequestLine(buf: Uint8Array, start: number, end: number): string | null {
  let i = start;
  while (i < end && i - start < 2048 && buf[i] !== 0x0d && buf[i] !== 0x0a) i++;
  if (i === start) return null;
  let s = "";
  for (let k = start; k < i; k++) s += String.fromCharCode(buf[k]!);
  return s;
}

/**
 * The body of a plan that goes out in one write with its head: bytes up to COALESCE_BYTES, or
 * none at all (a 304, a HEAD, a 204) as the shared empty array, whose frames all such answers
 * share. Null for anything else (a file, a stream, a multipart).
 */
function smallBody(plan: ResponsePlan): Uint8Array | null {
  const b = plan.body;
  if (b.kind === "none") return NO_BYTES;
  return b.kind === "bytes" && b.data.length <= COALESCE_BYTES ? b.data : null;
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
