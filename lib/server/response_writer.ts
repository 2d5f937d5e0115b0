/**
 * The one way a response reaches an HTTP/1.1 connection. A ResponseWriter lays out the head
 * (HeadCache) with its framing fields (Connection, Transfer-Encoding), sends the body (small
 * ones in the same write, from a pooled frame when one is free; files and streams through
 * body_writer.ts), answers 404/503 instead when a planned file went away before its first byte,
 * and makes the response's one access-log record. One per connection, reused for every
 * response on it.
 *
 * The record is made once the response is written; with `logBeforeEnd` (AccessLogFlush 0) it is
 * made just before the response's last write instead, so that no client holds a whole
 * response whose line a `kill -9` could still lose (it then counts the bytes the response was
 * to send, even if that last write fails).
 * @module
 */

import { CONTINUE_100, type FieldLines, fieldLines } from "../http/response_head.ts";
import type { AccessRecord } from "../log/access_log.ts";
import { FS_ERROR_STATUS } from "../static/context.ts";
import type { PlanBody, ResponsePlan } from "../static/plan.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { BeforeHeadError, BodySourceError, writeBody } from "./body_writer.ts";
import type { FramePool } from "./frame_pool.ts";
import { HEAD_ROOM } from "./frame_pool.ts";
import { HeadCache } from "./head_cache.ts";
import type { Peer, Scheme, ServerRequest } from "./request.ts";
import { type Transport, writeAll } from "./transport.ts";

/** Bodies up to this size go out in the same write as their head. */
const COALESCE_BYTES = 65536;
const NO_BYTES = new Uint8Array(0);
const RETRY_SOON = fieldLines([["Retry-After", "1"]]);

/**
 * The framing fields of an HTTP/1.1 response, by [chunked][connection]: connection 0 says
 * nothing (HTTP/1.1 persists), 1 is "close", 2 is "keep-alive" (HTTP/1.0 asked for it).
 */
const FRAMING: ReadonlyArray<ReadonlyArray<FieldLines | null>> = [false, true].map((chunked) =>
  [null, "close", "keep-alive"].map((c) => {
    const f: Array<[string, string]> = chunked ? [["Transfer-Encoding", "chunked"]] : [];
    if (c !== null) f.push(["Connection", c]);
    return f.length === 0 ? null : fieldLines(f);
  })
);

/** Where the writer logs and whom it tells (a worker's logs and counters). */
export interface WriterHooks {
  /** Plans the page of an error status (the 404/503 sent instead of a vanished file). */
  errorPlan(status: number, method: string, message?: string): ResponsePlan;
  /** The Date header value for now (cached per second). */
  date(): string;
  access(rec: AccessRecord): void;
  error(level: "debug" | "info" | "warn" | "error" | "crit", message: string, peer?: Peer): void;
  /** Head serializer shared by a worker's connections (one per connection when absent). */
  readonly heads?: HeadCache;
  /** The worker's clock (read for log times; refreshed when a write completes). */
  readonly clock?: LoopClock;
  /** Reusable frames for small in-memory bodies (none: a fresh buffer per response). */
  readonly frames?: FramePool;
  /** Called after each response, e.g. for counters. */
  responded?(req: ServerRequest | null, status: number, bytes: number): void;
  /** Make the access record before the response's last write (AccessLogFlush 0). */
  readonly logBeforeEnd?: boolean;
}

/** What the writer tells its connection, which owns phases and deadlines. */
export interface WriterHost {
  /** A response has started: nothing may replace it now, and SendTimeout runs. */
  responseStarted(): void;
  /** A write of a long body completed: SendTimeout counts from now. */
  progressed(): void;
}

/** What a writer is made of. */
export interface WriterOptions {
  readonly transport: Transport;
  readonly peer: Peer;
  /** The Server field value, when the hooks bring no HeadCache. */
  readonly serverHeader: string;
  /** The copy buffer for large files (ReadChunkSize). */
  readonly chunkSize: number;
  /** The scheme written at the end of each access-log line, or null for none. */
  readonly logScheme: Scheme | null;
  readonly hooks: WriterHooks;
  readonly host: WriterHost;
}

/** Writes the responses of one HTTP/1.1 connection. */
export class ResponseWriter {
  readonly #t: Transport;
  /**
   * The connection's client (the socket's peer, or what a PROXY header said): logged for
   * responses to no request. A request's own client (ServerRequest.peer: behind trusted
   * proxies, the one they name) is logged for its response.
   */
  peer: Peer;
  readonly #h: WriterHooks;
  readonly #host: WriterHost;
  readonly #heads: HeadCache;
  readonly #clock: LoopClock;
  readonly #chunkSize: number;
  readonly #scheme: Scheme | null;
  /** The transport for long bodies: each completed write tells the host. */
  #progressTransport: Transport | null = null;
  #noDelay = false;
  // The exchange being answered (set by begin()).
  #req: ServerRequest | null = null;
  #line: string | null = null;
  #minor = 1;
  // A small response in flight (see small()).
  #out: Uint8Array = NO_BYTES;
  #frame: Uint8Array | null = null;
  #body: Uint8Array = NO_BYTES;
  #status = 0;
  /** The current response's access record is made (reset when a response starts). */
  #logged = false;

  constructor(o: WriterOptions) {
    this.#t = o.transport;
    this.peer = o.peer;
    this.#chunkSize = o.chunkSize;
    this.#scheme = o.logScheme;
    this.#h = o.hooks;
    this.#host = o.host;
    this.#heads = o.hooks.heads ?? new HeadCache(o.serverHeader, o.hooks.date);
    this.#clock = o.hooks.clock ?? new LoopClock();
  }

  /**
   * The exchange the next response answers, for its access-log line.
   * @param req the request, or null when none could be read
   * @param line the request line as received, or null
   * @param minor the request's HTTP/1.x minor version (1.0 needs "Connection: keep-alive")
   */
  begin(req: ServerRequest | null, line: string | null, minor: number): void {
    this.#req = req;
    this.#line = line;
    this.#minor = minor;
  }

  /**
   * The quick path: when the whole response fits one write (a body in memory up to
   * COALESCE_BYTES, or none), lay it out in one buffer and start writing it. Returns the
   * transport's own write promise, so the common exchange awaits nothing else; null when the
   * plan needs send(). After the promise settles, call `afterSmall()` (also on failure).
   */
  small(plan: ResponsePlan, keep: boolean): Promise<number> | null {
    const body = smallBody(plan.body);
    if (body === null) return null;
    this.#prepare(plan, body, keep);
    if (this.#h.logBeforeEnd) this.#log(this.#status, body.length);
    return this.#t.write(this.#out);
  }

  /**
   * Finish a small response: write what a partial write left (a slow client; a promise then),
   * give the frame back and log it.
   * @param written what the write returned, or -1 when it failed
   */
  afterSmall(written: number): Promise<void> | null {
    if (written >= 0 && written < this.#out.length) return this.#rest(written);
    this.#smallDone();
    return null;
  }

  async #rest(written: number): Promise<void> {
    try {
      let off = written;
      while (off < this.#out.length) {
        off += await this.#t.write(this.#out.subarray(off));
        this.#clock.refresh(); // the next deadlines count from when the write ended
      }
    } finally {
      this.#smallDone();
    }
  }

  /** Write any response: small ones as small() does, files and streams as they come. */
  async send(plan: ResponsePlan, keep: boolean): Promise<void> {
    const body = smallBody(plan.body);
    if (body !== null) {
      this.#prepare(plan, body, keep);
      if (this.#h.logBeforeEnd) this.#log(this.#status, body.length);
      let written = -1;
      try {
        written = await this.#t.write(this.#out);
      } finally {
        await this.afterSmall(written);
      }
      return;
    }
    this.#setNoDelay();
    this.#start(plan);
    const chunked = plan.body.kind === "stream";
    const head = this.#heads.build(
      plan.status,
      plan.fields,
      plan.extra ?? null,
      this.#framing(keep, chunked),
    );
    let bytes = 0;
    let status = plan.status;
    try {
      bytes = await writeBody(this.#progress, head, plan.body, {
        coalesceBytes: COALESCE_BYTES,
        chunkSize: this.#chunkSize,
        ...(this.#h.logBeforeEnd ? { beforeEnd: (n: number) => this.#log(status, n) } : {}),
      });
    } catch (e) {
      if (e instanceof BodySourceError) {
        // The head is out: nothing can replace the response. One line, then the connection
        // closes (it does not log the error again).
        bytes = e.sent;
        this.#h.error("error", e.message, this.#req?.peer ?? this.peer);
        throw e;
      }
      if (!(e instanceof BeforeHeadError)) throw e;
      status = await this.#sendInstead(e, keep);
    } finally {
      this.#log(status, bytes);
    }
  }

  /**
   * Nothing of the response was written yet and its file is gone or was replaced since it was
   * planned: answer 404, or 503 with Retry-After (the next request sees the new version).
   */
  async #sendInstead(e: BeforeHeadError, keep: boolean): Promise<number> {
    const status = FS_ERROR_STATUS[e.failure.kind];
    this.#h.error(status === 500 ? "error" : "info", e.message, this.#req?.peer ?? this.peer);
    const plan = this.#h.errorPlan(status, this.#req?.method ?? "GET");
    const data = plan.body.kind === "bytes" ? plan.body.data : null;
    const head = this.#heads.build(
      status,
      plan.fields,
      status === 503 ? RETRY_SOON : null,
      this.#framing(keep && !plan.close, false),
      data,
    );
    if (this.#h.logBeforeEnd) this.#log(status, data?.length ?? 0);
    await writeAll(this.#t, head);
    return status;
  }

  /** Start a small response and lay it out in #out (a pooled frame when one is free). */
  #prepare(plan: ResponsePlan, body: Uint8Array, keep: boolean): void {
    // One write and then the close flushes everything: only a connection that stays open can
    // have a small segment held back by Nagle.
    if (keep) this.#setNoDelay();
    this.#start(plan);
    this.#status = plan.status;
    this.#body = body;
    this.#frame = null;
    const extra = plan.extra ?? null;
    const framing = this.#framing(keep, false);
    try {
      const frame = this.#h.frames?.acquire(body) ?? null;
      if (frame !== null) {
        this.#frame = frame; // from here on #smallDone gives it back, even if a field throws
        const start = this.#heads.writeBefore(
          plan.status,
          plan.fields,
          extra,
          framing,
          frame,
          HEAD_ROOM,
        );
        if (start >= 0) {
          this.#out = frame.subarray(start);
          return;
        }
        this.#frame = null;
        this.#h.frames!.release(body, frame);
      }
      this.#out = this.#heads.build(plan.status, plan.fields, extra, framing, body);
    } catch (e) {
      this.#smallDone();
      throw e;
    }
  }

  /** After a small response's write (done or failed): give the frame back, log it. */
  #smallDone(): void {
    if (this.#frame !== null) this.#h.frames!.release(this.#body, this.#frame);
    const bytes = this.#body.length;
    this.#frame = null;
    this.#out = this.#body = NO_BYTES;
    this.#log(this.#status, bytes);
  }

  /** A response starts: the connection's phase changes, and the plan's error.log note. */
  #start(plan: ResponsePlan): void {
    this.#logged = false;
    this.#host.responseStarted();
    if (plan.note !== undefined) {
      this.#h.error(plan.note.level, plan.note.message, this.#req?.peer ?? this.peer);
    }
  }

  #framing(keep: boolean, chunked: boolean): FieldLines | null {
    return FRAMING[chunked ? 1 : 0]![!keep ? 1 : this.#minor === 0 ? 2 : 0]!;
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
   * The interim 100 Continue (RFC 9110 §15.2.1), when the handler starts reading a body the
   * client waits to send. Nagle goes off first: the final response follows it.
   */
  sendContinue(): Promise<void> {
    this.#setNoDelay();
    return writeAll(this.#t, CONTINUE_100);
  }

  /** The transport for long bodies: each completed write moves the send deadline forward. */
  get #progress(): Transport {
    const t = this.#t;
    return this.#progressTransport ??= {
      read: (p) => t.read(p),
      write: async (p) => {
        const n = await t.write(p);
        this.#clock.refresh();
        this.#host.progressed();
        return n;
      },
      close: () => t.close(),
    };
  }

  /** The response's one access-log record, and the counters (once per response). */
  #log(status: number, bytes: number): void {
    if (this.#logged) return; // logged before its last write (logBeforeEnd)
    this.#logged = true;
    const req = this.#req;
    this.#h.access({
      client: (req?.peer ?? this.peer).ip,
      user: null,
      timeMs: this.#clock.now(),
      requestLine: this.#line,
      status,
      bytes,
      referer: req?.headers.get("referer"),
      userAgent: req?.headers.get("user-agent"),
      scheme: this.#scheme,
    });
    this.#h.responded?.(req, status, bytes);
  }
}

/**
 * The body of a plan that goes out in one write with its head: bytes up to COALESCE_BYTES, or
 * none at all (a 304, a HEAD, a 204) as the shared empty array, whose frames all such answers
 * share. Null for anything else (a file, a stream, a multipart).
 */
function smallBody(b: PlanBody): Uint8Array | null {
  if (b.kind === "none") return NO_BYTES;
  return b.kind === "bytes" && b.data.length <= COALESCE_BYTES ? b.data : null;
}
