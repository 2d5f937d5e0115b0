/**
 * Connections from other loopback addresses (127.0.0.2, 127.0.0.3...), so one test plays several
 * clients: Deno.connect cannot choose its local address, node:net can (`localAddress`).
 * @module
 */

import net from "node:net";

/** A raw connection from a chosen local address. */
export class RawClient {
  readonly #socket: net.Socket;
  #data = "";
  #closed = false;
  readonly #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (b: Uint8Array) => {
      for (let i = 0; i < b.length; i += 4096) {
        this.#data += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 4096)));
      }
      this.#wake();
    });
    const end = () => {
      this.#closed = true;
      this.#wake();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Connect to 127.0.0.1:`port` from `from` (any 127.x.y.z address). */
  static connect(port: number, from: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port, localAddress: from });
      s.once("connect", () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Send bytes (each character one byte). */
  send(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.write(Uint8Array.from(text, (c) => c.charCodeAt(0)), (e) => {
        if (e) reject(e);
        else resolve();
      });
    });
  }

  /** What arrived so far (latin1). */
  get received(): string {
    return this.#data;
  }

  /** Whether the server closed the connection (or it failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Wait until `pred` holds or `ms` pass; returns whether it held. */
  async until(pred: (c: RawClient) => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!pred(this)) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  /** Send a request and read until the server closes (or `ms` pass). */
  async exchange(request: string, ms = 10_000): Promise<string> {
    await this.send(request);
    await this.until((c) => c.closed, ms);
    this.close();
    return this.#data;
  }

  close(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** One request over a new connection from `from`; the answer, read until the server closes. */
export async function exchangeFrom(
  port: number,
  from: string,
  request: string,
  ms = 10_000,
): Promise<string> {
  return await (await RawClient.connect(port, from)).exchange(request, ms);
}
