/**
 * Access-log lines written straight into bytes (pure): a worker appends each response's line
 * here and hands the whole buffer to the main thread as a transferable, which writes it as it
 * is: no string to flatten, clone and encode per batch (docs/PERFORMANCE.md).
 *
 * Every part of a line is ASCII (escapeLogValue escapes everything else), so characters are
 * stored as bytes. The client, the time and the tail repeat from line to line; their bytes are
 * kept and copied in.
 * @module
 */

import { type AccessRecord, clfTime, escapeLogValue, formatTail } from "./access_log.ts";

const SP = 0x20;
const DASH = 0x2d;
const LF = 0x0a;
const NONE: Uint8Array = new Uint8Array(0);

/** The bytes of an ASCII string. */
function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A growing buffer of Combined Log Format lines, each ending in "\n". */
export class AccessLineBuffer {
  readonly #initial: number;
  #buf: Uint8Array<ArrayBuffer>;
  #at = 0;
  #client = "";
  #clientBytes = NONE;
  #time = "";
  #timeBytes = NONE;
  #tail = "";
  #tailBytes = NONE;

  /** @param initialBytes the size of each new buffer (grown when a line does not fit) */
  constructor(initialBytes: number) {
    this.#initial = Math.max(1024, initialBytes);
    this.#buf = new Uint8Array(this.#initial);
  }

  /** Bytes held. */
  get length(): number {
    return this.#at;
  }

  /** Append the line of one response (formatAccessLine's text and "\n"). */
  append(r: AccessRecord): void {
    if (r.client !== this.#client) {
      this.#client = r.client;
      this.#clientBytes = ascii(r.client);
    }
    const time = clfTime(r.timeMs);
    if (time !== this.#time) {
      this.#time = time;
      this.#timeBytes = ascii(time);
    }
    const tail = formatTail(r);
    if (tail !== this.#tail) {
      this.#tail = tail;
      this.#tailBytes = ascii(tail);
    }
    const user = r.user === null ? null : escapeLogValue(r.user);
    const client = this.#clientBytes, timeBytes = this.#timeBytes, tailBytes = this.#tailBytes;
    this.#reserve(
      client.length + 3 + (user?.length ?? 1) + 1 + timeBytes.length + 1 +
        tailBytes.length + 1,
    );
    const b = this.#buf;
    let at = this.#at;
    b.set(client, at);
    at += client.length;
    b[at++] = SP;
    b[at++] = DASH;
    b[at++] = SP;
    if (user === null) b[at++] = DASH;
    else for (let i = 0; i < user.length; i++) b[at++] = user.charCodeAt(i);
    b[at++] = SP;
    b.set(timeBytes, at);
    at += timeBytes.length;
    b[at++] = SP;
    b.set(tailBytes, at);
    at += tailBytes.length;
    b[at++] = LF;
    this.#at = at;
  }

  /**
   * Hand the lines so far to `write` and forget them, keeping the buffer (a worker that writes
   * each line at once, AccessLogFlush 0). They are forgotten even when `write` throws.
   */
  drainTo(write: (lines: Uint8Array) => void): void {
    if (this.#at === 0) return;
    try {
      write(this.#buf.subarray(0, this.#at));
    } finally {
      this.#at = 0;
    }
  }

  /** The lines so far, or null when there are none; later lines go to a new buffer. */
  take(): Uint8Array<ArrayBuffer> | null {
    if (this.#at === 0) return null;
    const out = this.#buf.subarray(0, this.#at);
    this.#buf = new Uint8Array(this.#initial);
    this.#at = 0;
    return out;
  }

  #reserve(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
    next.set(this.#buf.subarray(0, this.#at));
    this.#buf = next;
  }
}
