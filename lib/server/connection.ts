/**
 * One HTTP/1.1 connection: read bytes, parse heads, check them, hand each request to the
 * pipeline, and have the ResponseWriter answer it; keep alive and pipeline strictly in order;
 * enforce the timeouts of each phase. It sees a Transport and peer metadata only, so it runs in
 * unit tests without sockets. HTTP/1.1 framing lives here and in the writer: persistence,
 * 100-continue, body framing, the close rules.
 * @module
 */

import { checkHead, type HeadCheck } from "../http/framing.ts";
import { clientWantsKeepAlive, CLOSING_STATUSES } from "../http/keep_alive.ts";
import { PARSE_ERRORS, type ParseErrorCode } from "../http/parse_errors.ts";
import { fieldLines } from "../http/response_head.ts";
import { type RequestHead, RequestParser } from "../http/request_parser.ts";
import { discardBody, type ResponsePlan } from "../static/plan.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { BodyError, BodyReader } from "./body_reader.ts";
import { BodySourceError } from "./body_writer.ts";
import type { Handler, Peer, ServerRequest } from "./request.ts";
import { ResponseWriter, type WriterHooks } from "./response_writer.ts";
import type { Slotted } from "./slot_list.ts";
import type { Transport } from "./transport.ts";

import type { ConnectionSettings } from "./connection_settings.ts";
import { ProxyHeaderParser } from "./proxy_protocol.ts";
import { ReadBuffer } from "./read_buffer.ts";

export type { Handler, Peer, Scheme, ServerRequest } from "./request.ts";
export { type ConnectionSettings, connectionSettings } from "./connection_settings.ts";

/** What a connection calls out to: the pipeline, and the writer's logs and caches. */
export interface ConnectionHooks extends WriterHooks {
  /** The pipeline (pipeline.ts): plans the response to a request. */
  handle: Handler;
  /** Whether the server is shutting down (finish the current response, then close). */
  draining(): boolean;
  /**
   * Whether an idle connection closes at once rather than wait for its next request (on
   * shutdown; absent = never). The workers a reload retires answer the next request with
   * `Connection: close` instead, so no request meets a connection closing under it.
   */
  closeIdle?(): boolean;
}

/** Where a connection is in its life; decides what a timeout does. */
export type Phase = "idle" | "head" | "body" | "handling" | "writing" | "closed";

/** Parsers of closed connections, reused by new ones (bounded, as read buffers are). */
const MAX_SPARE_PARSERS = 1024;
const spareParsers: RequestParser[] = [];
/** The read buffer grows to this for bodies (a head is bounded by MaxHeaderBytes). */
const MAX_BODY_BUFFER = 65536;
const DRAIN_LIMIT = 65536; // unread body bytes we read and discard to keep a connection
const RETRY_SOON = fieldLines([["Retry-After", "1"]]);

/** Drives one connection until it closes. */
export class Connection implements Slotted {
  /** Index in the worker's list of open connections (see slot_list.ts). */
  slot = -1;
  /** Epoch ms after which onTimeout() acts; Infinity when no timer runs. */
  deadline = Infinity;
  phase: Phase = "idle";
  readonly #t: Transport;
  /** The client: the socket's peer, or the address a PROXY protocol header gave. */
  #peer: Peer;
  readonly #s: ConnectionSettings;
  readonly #h: ConnectionHooks;
  readonly #parser: RequestParser;
  readonly #clock: LoopClock;
  readonly #writer: ResponseWriter;
  readonly #in: ReadBuffer;
  #requests = 0;
  #responseStarted = false;
  /** The last request line and its parts: a keep-alive client repeats its requests. */
  #line = "";
  #lineMethod = "";
  #lineTarget = "";
  #lineVersion = -1;
  /** A 408 is being written: whatever arrives afterwards is not answered. */
  #timedOut: Promise<void> | null = null;
  /** Whether the connection stays open after the response being planned (see #keepAlive). */
  #keep = false;
  /** When it began waiting for the current request head (see waitingSince). */
  #waitingFrom = 0;

  constructor(t: Transport, peer: Peer, settings: ConnectionSettings, hooks: ConnectionHooks) {
    this.#t = t;
    this.#peer = peer;
    this.#s = settings;
    this.#h = hooks;
    const spare = spareParsers.pop();
    this.#parser = spare !== undefined && spare.limits === settings.limits
      ? spare
      : new RequestParser(settings.limits);
    this.#clock = hooks.clock ?? new LoopClock();
    this.#in = new ReadBuffer(
      t,
      this.#clock,
      Math.max(settings.limits.maxHeaderBytes, MAX_BODY_BUFFER),
    );
    this.#writer = new ResponseWriter({
      transport: t,
      peer,
      serverHeader: settings.serverHeader,
      chunkSize: settings.readChunkSize,
      logScheme: settings.logScheme ? settings.scheme : null,
      hooks,
      host: {
        responseStarted: () => {
          this.#responseStarted = true;
          this.#setPhase("writing", this.#s.sendTimeoutMs);
        },
        progressed: () => {
          if (this.phase === "writing") this.deadline = this.#clock.now() + this.#s.sendTimeoutMs;
        },
      },
    });
  }

  /**
   * Serve requests until the client or the server ends the connection. The common exchange (a
   * request without a body, a plan that is ready at once, a small body in memory) runs inside
   * this loop with one awaited read and one awaited write and no other promise: each async
   * function between them costs a promise and microtask hops (see docs/PERFORMANCE.md).
   */
  async run(): Promise<void> {
    const w = this.#writer;
    try {
      this.#beginHead();
      if (this.#s.proxyProtocol !== null && !(await this.#proxyHeader())) return;
      for (;;) {
        if (this.#timedOut !== null) break;
        const r = this.#bufferedHead();
        if (r === null) {
          if (this.idle && this.#h.closeIdle?.()) break;
          const inp = this.#in;
          if (inp.end === inp.buf.length) {
            if (inp.start === 0 && inp.buf.length >= this.#s.limits.maxHeaderBytes) {
              await this.#reject("headers-too-large", null);
              break;
            }
            inp.makeRoom();
          }
          // fill(), inlined: the common exchange awaits the transport's promises only.
          if (!inp.received(await inp.read())) break;
          continue;
        }
        if (typeof r === "string") {
          await this.#reject(r, null);
          break;
        }
        const step = this.#exchange(r);
        if (step instanceof Promise) {
          if (!(await step)) break;
        } else {
          // A plan ready at once for a request without a body: the writer's quick path.
          const keep = this.#keep;
          const quick = w.small(step, keep);
          if (quick === null) await w.send(step, keep);
          else {
            let written = -1;
            try {
              written = await quick;
            } finally {
              const rest = w.afterSmall(written);
              if (rest !== null) await rest;
            }
          }
          if (!keep) break;
        }
        this.#beginHead();
      }
    } catch (e) {
      // A body source that failed was logged by the writer, once.
      if (this.phase !== "closed" && !(e instanceof BodySourceError)) {
        this.#h.error("debug", `connection ended: ${describe(e)}`, this.#peer);
      }
    } finally {
      // A 408 still going out closes the connection when it is written (or after a second).
      if (this.#timedOut !== null) await this.#timedOut;
      this.close();
      this.#in.recycle();
      if (spareParsers.length < MAX_SPARE_PARSERS) spareParsers.push(this.#parser);
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

  /**
   * Called by the worker's sweeper once the deadline has passed: a client slow to send its
   * head or body gets 408 (nothing it sends afterwards is answered); anything else is closed.
   */
  onTimeout(): void {
    const p = this.phase;
    if ((p === "head" || p === "body") && !this.#responseStarted) {
      // A head cut short is logged with what arrived of its request line (the access log's
      // reader sees what timed out); a body's request was logged with its own line.
      this.#lastWords(this.#h.errorPlan(408, "GET"), p === "head" ? this.#in.firstLine() : null);
      return;
    }
    this.close();
  }

  /**
   * Epoch ms since when it has waited for a request head (accepted, or its last response
   * written), or null when it is doing anything else: admission.ts gives the slot of the one
   * waiting longest to a new client when the worker is full.
   */
  get waitingSince(): number | null {
    return (this.phase === "idle" || this.phase === "head") && this.#timedOut === null
      ? this.#waitingFrom
      : null;
  }

  /**
   * Give way to a new client (the worker is full; admission.ts chose this connection): one
   * between requests is closed, as KeepAliveTimeout would close it; one partway through a head
   * gets 503 with Retry-After first, as a slow head gets 408.
   */
  evict(): void {
    if (this.phase === "head") {
      const plan = this.#h.errorPlan(503, "GET");
      this.#lastWords({ ...plan, extra: RETRY_SOON });
    } else {
      this.close();
    }
  }

  /**
   * Send a final error response without waiting for the rest of the request, then close (a
   * second at most, however slowly the client reads); nothing that arrives meanwhile is answered.
   */
  #lastWords(plan: ResponsePlan, line: string | null = null): void {
    this.#writer.begin(null, line, 1);
    const timer = setTimeout(() => this.close(), 1000);
    this.#timedOut = this.#writer.send(plan, false).catch(() => {}).finally(() => {
      clearTimeout(timer);
      this.close();
    });
  }

  /**
   * True while a kept-alive connection waits for its next request with nothing buffered (safe
   * to close on shutdown). A new connection is not idle: its client is about to send its first
   * request and has no reason to expect a close.
   */
  get idle(): boolean {
    return this.phase === "idle" && this.#in.empty && this.#requests > 0;
  }

  /**
   * ProxyProtocol On: read the PROXY header the balancer sends first (within HeaderTimeout, as
   * the request head that follows), and take the client's address from it. False when the
   * connection must close: no valid header, or a peer that TrustedProxies does not list.
   */
  async #proxyHeader(): Promise<boolean> {
    const trusted = this.#s.clients;
    if (trusted !== null && !trusted.trusts(this.#peer.ip)) {
      this.#h.error("debug", "PROXY protocol: the peer is not in TrustedProxies", this.#peer);
      return false;
    }
    const p = new ProxyHeaderParser(this.#s.proxyProtocol!.maxV2Bytes);
    const inp = this.#in;
    for (;;) {
      if (inp.start < inp.end) {
        const r = p.feed(inp.buf.subarray(inp.start, inp.end));
        if (r.kind === "error") {
          this.#h.error("debug", `PROXY protocol: ${r.reason}`, this.#peer);
          return false;
        }
        if (r.kind === "done") {
          inp.start += r.consumed;
          if (r.source !== null) this.#writer.peer = this.#peer = r.source;
          return true;
        }
        inp.start = inp.end; // the parser keeps what it still needs
      }
      if (inp.end === inp.buf.length) inp.makeRoom();
      if (!inp.received(await inp.read())) return false;
    }
  }

  /** Get ready for the next request head. */
  #beginHead(): void {
    this.#parser.reset();
    this.#in.rewind();
    this.phase = "idle";
    const first = this.#requests === 0;
    this.#waitingFrom = this.#clock.now();
    this.deadline = this.#waitingFrom + (first ? this.#s.headerTimeoutMs : this.#s.idleTimeoutMs);
  }

  /**
   * The next request head when the buffer holds all of it; null when more bytes are needed;
   * the error code when what arrived is not a valid head.
   */
  #bufferedHead(): RequestHead | ParseErrorCode | null {
    const inp = this.#in;
    if (inp.start === inp.end) return null;
    const r = inp.start === 0
      ? this.#parser.feed(inp.buf, inp.end)
      : this.#parser.feed(inp.buf.subarray(inp.start, inp.end));
    if (r.kind === "head") {
      inp.start += r.consumed;
      return r.head;
    }
    if (r.kind === "error") return r.code;
    if (this.phase === "idle" && this.#parser.started) {
      this.#setPhase("head", this.#s.headerTimeoutMs);
    }
    return null;
  }

  #setPhase(p: Phase, timeoutMs: number): void {
    this.phase = p;
    this.deadline = timeoutMs === Infinity ? Infinity : this.#clock.now() + timeoutMs;
  }

  /**
   * Start one exchange: check the head, build the request, ask the pipeline. Returns the plan
   * when it is ready at once and the request has no body (run() writes it, keeping #keep);
   * otherwise a promise of whether the connection stays open.
   */
  #exchange(head: RequestHead): ResponsePlan | Promise<boolean> {
    this.#requests++;
    this.#responseStarted = false;
    const line = this.#requestLine(head);
    const check = checkHead(head, this.#s.limits.maxBodySize);
    if (check.kind === "error") return this.#reject(check.code, head).then(() => false);
    const body = check.framing.kind === "none" ? null : new BodyReader(
      this.#in,
      check.framing,
      this.#s.limits,
      check.expectContinue ? () => this.#writer.sendContinue() : null,
      // The body has arrived: the handler's own work is not subject to RequestTimeout.
      () => this.#setPhase("handling", Infinity),
    );
    // Behind trusted proxies, the client they name (client_address.ts).
    const peer = this.#s.clients === null
      ? this.#peer
      : this.#s.clients.resolve(this.#peer, head.headers);
    const req: ServerRequest = {
      method: head.method,
      target: head.target,
      headers: head.headers,
      body,
      streamable: head.versionMinor >= 1,
      peer,
      clientIp: peer.ip,
      scheme: this.#s.scheme,
    };
    this.#writer.begin(req, line, head.versionMinor);
    this.#setPhase(
      body === null ? "handling" : "body",
      body === null ? Infinity : this.#s.requestTimeoutMs,
    );
    const planned = this.#plan(req);
    if (body === null && !(planned instanceof Promise)) {
      this.#keep = this.#keepAlive(head, planned) && !this.#h.draining();
      return planned;
    }
    return this.#finish(head, check, body, req, planned);
  }

  /**
   * Persistence (RFC 9112 §9.3): the client's wish, the plan's, the status (after some, the
   * next bytes cannot be trusted as a request), MaxKeepAliveRequests.
   */
  #keepAlive(head: RequestHead, plan: ResponsePlan): boolean {
    return clientWantsKeepAlive(head.versionMinor, head.headers) && !plan.close &&
      !CLOSING_STATUSES.has(plan.status) &&
      (this.#s.maxRequestsPerConnection === 0 || this.#requests < this.#s.maxRequestsPerConnection);
  }

  /** The rest of an exchange that has to wait (a body to read, a plan not ready at once). */
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
    keep = keep && !plan.close && !CLOSING_STATUSES.has(plan.status) && !this.#h.draining();
    await this.#writer.send(plan, keep);
    return keep;
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
      req.peer,
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

  /**
   * The request line as received, for the access log. The same string as last time when the
   * request repeats it, so the log's memo of its line tail (access_log.ts) compares one
   * object instead of flattening a new string: 0.2-0.3 µs per keep-alive request (js_only.ts).
   */
  #requestLine(h: RequestHead): string {
    const version = h.versionMajor * 10 + h.versionMinor;
    if (
      h.target !== this.#lineTarget || h.method !== this.#lineMethod ||
      version !== this.#lineVersion
    ) {
      this.#line = `${h.method} ${h.target} HTTP/${h.versionMajor}.${h.versionMinor}`;
      this.#lineMethod = h.method;
      this.#lineTarget = h.target;
      this.#lineVersion = version;
    }
    return this.#line;
  }

  /** Answer a head that did not parse or check with its error status, and close. */
  async #reject(code: ParseErrorCode, head: RequestHead | null): Promise<void> {
    const info = PARSE_ERRORS[code];
    const method = head?.method === "HEAD" ? "HEAD" : "GET";
    this.#h.error("info", `bad request: ${info.message}`, this.#peer);
    const line = head === null ? this.#in.firstLine() : this.#requestLine(head);
    this.#writer.begin(null, line, 1);
    await this.#writer.send(this.#h.errorPlan(info.status, method, info.message), false);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
