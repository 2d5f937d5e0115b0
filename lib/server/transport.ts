/**
 * The byte stream a connection reads from and its writer writes to: a TCP socket in the
 * server (conn_transport.ts), an in-memory script in tests.
 * @module
 */

/** What a connection and its writer need from a socket. */
export interface Transport {
  /** Bytes read into `p` (never empty); 0 or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Bytes written from the start of `p`: possibly fewer than its length, so callers loop. */
  write(p: Uint8Array): Promise<number>;
  close(): void;
  /** Turn Nagle's algorithm off (TCP_NODELAY), when the transport is a TCP socket. */
  setNoDelay?(on: boolean): void;
}

/** Write all of `data`, looping over partial writes. */
export async function writeAll(t: Transport, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await t.write(off === 0 ? data : data.subarray(off));
}
