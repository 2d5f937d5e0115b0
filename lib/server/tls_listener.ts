/**
 * A worker's HTTPS listener: `Deno.listenTls` with SO_REUSEPORT beside the plain one, ALPN
 * `http/1.1`, TCP_NODELAY on the listening socket (libc.ts), and a certificate swap that loses
 * no connection: a new listener opens with the new pair first, then the old one closes.
 * Connections it accepted go on with the certificate they were served; the kernel hands the
 * ones still queued on the old socket to another listener of the port when
 * `net.ipv4.tcp_migrate_req = 1`, and resets them otherwise.
 *
 * Deno 2.9.6 has no public way to pick a certificate by server name (SNI): one pair is served to
 * every client, so a site with several names uses one certificate listing all of them.
 *
 * The TLS handshake runs before the connection reaches the HTTP/1.1 engine (TlsHandshake):
 * bounded by HeaderTimeout, and a failure (plain HTTP on the HTTPS port, a garbage ClientHello,
 * a client that leaves) is one debug line.
 * @module
 */

import { type PeerAddress, setListenerNoDelay, shutdownConnections } from "./libc.ts";
import type { Slotted } from "./slot_list.ts";
import type { TlsMaterial } from "./tls_material.ts";

/** The protocols offered in ALPN: this server speaks HTTP/1.1 only. */
export const ALPN_PROTOCOLS = ["http/1.1"];

/** What the endpoint reports after opening a listener. */
export interface TlsOpened {
  readonly fingerprint: string;
  /** Why listenTls refused the pair (the old listener, if any, keeps serving); null: open. */
  readonly error: string | null;
  /** Listening sockets given TCP_NODELAY, or why it could not be done. */
  readonly noDelay: number | string;
}

/** Options of a TlsEndpoint. */
export interface TlsEndpointOptions {
  readonly hostname: string;
  readonly port: number;
  /** Run the accept loop of a listener until it closes. */
  serve(l: Deno.TlsListener): Promise<void>;
}

/** The HTTPS listener of one worker and its replacement on a certificate change. */
export class TlsEndpoint {
  readonly #o: TlsEndpointOptions;
  #current: Deno.TlsListener | null = null;
  #fingerprint = "";

  constructor(o: TlsEndpointOptions) {
    this.#o = o;
  }

  /** The fingerprint of the pair being served ("" before the first). */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /**
   * Serve `m` from now on: open a listener with it beside the current one, then close the
   * current one (its accepted connections go on). When listenTls refuses the pair, the current
   * listener stays.
   * @param onLoopEnd called when a listener's accept loop ends while it is still the current
   *   one (it closed by itself)
   */
  open(m: TlsMaterial, onLoopEnd: (e: unknown) => void): TlsOpened {
    let l: Deno.TlsListener;
    try {
      l = Deno.listenTls({
        hostname: this.#o.hostname,
        port: this.#o.port,
        reusePort: true,
        alpnProtocols: ALPN_PROTOCOLS,
        cert: m.cert,
        key: m.key,
      });
    } catch (e) {
      return { fingerprint: m.fingerprint, error: describe(e), noDelay: 0 };
    }
    const set = setListenerNoDelay(this.#o.port);
    const noDelay = set instanceof Error
      ? set.message
      : set === 0
      ? "no listening socket found on the port"
      : set;
    const old = this.#current;
    this.#current = l;
    this.#fingerprint = m.fingerprint;
    this.#o.serve(l).then(
      () => this.#current === l && onLoopEnd(new Error("the HTTPS listener closed unexpectedly")),
      (e) => this.#current === l && onLoopEnd(e),
    );
    try {
      old?.close();
    } catch { /* already closed */ }
    return { fingerprint: m.fingerprint, error: null, noDelay };
  }

  /** Stop accepting (shutdown). */
  close(): void {
    const l = this.#current;
    this.#current = null;
    try {
      l?.close();
    } catch { /* already closed */ }
  }
}

/**
 * Sockets of handshakes that were abandoned (timed out, or closed by a shutdown): Deno keeps
 * such a socket open until the handshake ends, so they are shut down through the C library,
 * all at once after each sweep (libc.ts). Without FFI they stay open until the client leaves.
 */
export class StalledHandshakes {
  readonly #port: number;
  #peers: PeerAddress[] = [];

  /** @param port the HTTPS port (the local end of the sockets) */
  constructor(port: number) {
    this.#port = port;
  }

  add(peer: PeerAddress): void {
    this.#peers.push(peer);
  }

  /** Shut down the sockets added since the last call. */
  flush(): void {
    if (this.#peers.length === 0) return;
    const peers = this.#peers;
    this.#peers = [];
    shutdownConnections(this.#port, peers); // an Error: no FFI (warned about once at start)
  }
}

/**
 * A TLS connection whose handshake has not finished: it sits in the worker's list of open
 * connections, so the sweeper closes it after HeaderTimeout and a shutdown closes it at once.
 */
export class TlsHandshake implements Slotted {
  slot = -1;
  /** Epoch ms after which onTimeout() acts. */
  deadline: number;
  /**
   * Since when it has waited for the client (admission.ts): a handshake not finished is a head
   * not sent yet, which a full worker may close to make room.
   */
  readonly waitingSince: number;
  /** Nothing is in flight for the client: a shutdown may close it. */
  readonly idle = true;
  readonly #conn: Deno.TlsConn;
  readonly #note: (message: string) => void;
  readonly #stalled: StalledHandshakes;
  #closed = false;
  #done = false;

  /**
   * @param acceptedMs epoch ms when the connection was accepted
   * @param deadline epoch ms by which the handshake must finish (now + HeaderTimeout)
   * @param note writes one debug line about this connection
   * @param stalled where an abandoned handshake's socket goes to be shut down
   */
  constructor(
    conn: Deno.TlsConn,
    acceptedMs: number,
    deadline: number,
    note: (message: string) => void,
    stalled: StalledHandshakes,
  ) {
    this.#conn = conn;
    this.waitingSince = acceptedMs;
    this.deadline = deadline;
    this.#note = note;
    this.#stalled = stalled;
  }

  /** Closed by a timeout or a shutdown (the pending handshake then fails: no second line). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Run the handshake.
   * @returns whether the connection is ready for HTTP/1.1; on failure it is closed and noted
   */
  async run(): Promise<boolean> {
    try {
      await this.#conn.handshake();
      return !this.#closed;
    } catch (e) {
      if (!this.#closed) {
        this.#note(`TLS handshake failed: ${describe(e)}`);
        this.close();
      }
      return false;
    } finally {
      this.#done = true;
    }
  }

  onTimeout(): void {
    if (this.#closed) return;
    this.#note("TLS handshake not finished within HeaderTimeout: closing");
    this.close();
  }

  /** A full worker makes room (admission.ts): close it. */
  evict(): void {
    if (this.#closed) return;
    this.#note("TLS handshake not finished when the worker was full: closing");
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.deadline = Infinity;
    const stalled = !this.#done;
    let peer: Deno.NetAddr | null = null;
    try {
      peer = this.#conn.remoteAddr as Deno.NetAddr;
      this.#conn.close();
    } catch { /* closed */ }
    if (stalled && peer !== null) this.#stalled.add({ ip: peer.hostname, port: peer.port });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
