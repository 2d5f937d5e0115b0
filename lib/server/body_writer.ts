/**
 * Send a planned body after its head: from memory, a file slice, multipart ranges, or a stream
 * in chunked coding. Small bodies go out in the same write as the head; large files are copied
 * through a pooled buffer of ReadChunkSize. Files are opened through the plan's FileSystem,
 * which keeps paths inside its root and refuses a version other than the one planned.
 *
 * A source that fails once the head is out (a read error, a file that shrank) cannot be
 * answered any more: BodySourceError says so, and the connection closes (the client sees a
 * body shorter than its Content-Length, or a chunked body without its last chunk).
 * @module
 */

import { encodeChunk, LAST_CHUNK } from "../http/response_head.ts";
import { FsError, type OpenFile } from "../static/fs_port.ts";
import type { PlanBody } from "../static/plan.ts";
import { concatBytes } from "../util/bytes.ts";
import { type Transport, writeAll } from "./transport.ts";

/** Tuning for the writer. */
export interface WriteOptions {
  /** Bodies up to this size are sent in one write with the head. */
  readonly coalesceBytes: number;
  /** Buffer size for copying file slices. */
  readonly chunkSize: number;
  /**
   * Called once just before the response's last write, with the body bytes the response will
   * have sent (AccessLogFlush 0 logs it there, so a client never has a response whose access
   * line is not written yet).
   */
  readonly beforeEnd?: (bodyBytes: number) => void;
}

/**
 * A failure before any byte of the response was written (the file vanished or was replaced
 * since it was planned): the connection can still answer with an error status.
 */
export class BeforeHeadError extends Error {
  override name = "BeforeHeadError";
  constructor(readonly failure: FsError) {
    super(failure.message);
  }
}

/**
 * The body's source failed after the head was sent (a read error, a file that shrank or a
 * stream that errored): the response cannot be finished, so the connection must close.
 */
export class BodySourceError extends Error {
  override name = "BodySourceError";
  /**
   * @param what the source (a path)
   * @param sent body bytes sent before the failure
   */
  constructor(readonly what: string, readonly sent: number, why: string) {
    super(`${what}: ${why} after ${sent} body bytes were sent; connection closed`);
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Write head and body; returns the number of body bytes sent.
 * @throws BeforeHeadError when the planned file cannot be opened (nothing was written)
 * @throws BodySourceError when the source fails after the head was written
 */
export async function writeBody(
  t: Transport,
  head: Uint8Array,
  body: PlanBody,
  o: WriteOptions,
): Promise<number> {
  switch (body.kind) {
    case "none":
      o.beforeEnd?.(0);
      await writeAll(t, head);
      return 0;
    case "bytes":
      o.beforeEnd?.(body.data.length);
      await writeJoined(t, head, body.data, o);
      return body.data.length;
    case "file":
      return await writeFile(t, head, body, o);
    case "multipart":
      return await writeMultipart(t, head, body, o);
    case "stream":
      return await writeChunked(t, head, body.stream, o);
  }
}

async function writeJoined(
  t: Transport,
  head: Uint8Array,
  data: Uint8Array,
  o: WriteOptions,
): Promise<void> {
  if (head.length + data.length <= o.coalesceBytes) {
    await writeAll(t, concatBytes([head, data]));
  } else {
    await writeAll(t, head);
    await writeAll(t, data);
  }
}

/** Open the planned file, or say that nothing was written. */
function openPlanned(body: Extract<PlanBody, { kind: "file" | "multipart" }>): OpenFile {
  try {
    return body.fs.open(body.path, body.version);
  } catch (e) {
    throw new BeforeHeadError(
      e instanceof FsError ? e : new FsError("other", e instanceof Error ? e.message : String(e)),
    );
  }
}

async function writeFile(
  t: Transport,
  head: Uint8Array,
  body: Extract<PlanBody, { kind: "file" }>,
  o: WriteOptions,
): Promise<number> {
  using file = openPlanned(body);
  if (body.start > 0) file.seek(body.start);
  if (head.length + body.length <= o.coalesceBytes) {
    const bytes = readWithHead(file, head, body.length);
    o.beforeEnd?.(body.length);
    await writeAll(t, bytes);
  } else {
    await writeAll(t, head);
    const slice: Slice = { path: body.path, length: body.length, sentBefore: 0 };
    await copySlice(t, file, slice, o.chunkSize, o.beforeEnd ?? null);
  }
  return body.length;
}

/**
 * Head followed by a small file slice, read synchronously: the page cache answers in
 * microseconds, while async file reads each hop to Deno's blocking thread pool (nginx reads
 * files synchronously too). Large bodies stay asynchronous.
 */
function readWithHead(file: OpenFile, head: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let off = head.length;
  while (off < out.length) {
    let n: number | null;
    try {
      n = file.readSync(out.subarray(off));
    } catch (e) {
      throw new BeforeHeadError(new FsError("other", `read failed: ${reason(e)}`));
    }
    if (n === null) {
      throw new BeforeHeadError(new FsError("changed", "file shrank while it was being read"));
    }
    off += n;
  }
  return out;
}

/** A slice of a file being sent, for error messages: its path, length, body bytes before it. */
interface Slice {
  readonly path: string;
  readonly length: number;
  readonly sentBefore: number;
}

/**
 * Copy `slice.length` bytes from the file's position. `last`, when given, is called before the
 * write that ends the slice (with the body bytes sent by then).
 */
async function copySlice(
  t: Transport,
  file: OpenFile,
  slice: Slice,
  chunkSize: number,
  last: ((bodyBytes: number) => void) | null,
): Promise<void> {
  const buf = borrow(chunkSize, slice.length);
  try {
    let left = slice.length;
    while (left > 0) {
      let n: number | null;
      try {
        n = await file.read(left < buf.length ? buf.subarray(0, left) : buf);
      } catch (e) {
        throw new BodySourceError(slice.path, sent(slice, left), `read failed (${reason(e)})`);
      }
      if (n === null) throw new BodySourceError(slice.path, sent(slice, left), "the file shrank");
      if (n === left) last?.(slice.sentBefore + slice.length);
      await writeAll(t, buf.subarray(0, n));
      left -= n;
    }
  } finally {
    giveBack(buf, chunkSize);
  }
}

function sent(slice: Slice, left: number): number {
  return slice.sentBefore + slice.length - left;
}

/*
 * Copy buffers for large bodies (ReadChunkSize: larger buffers copy faster, see
 * docs/PERFORMANCE.md). At most BIG_BUFFERS are lent at once per worker, so memory stays
 * bounded however many large downloads run; beyond that a response copies through 64 KiB.
 */
const BIG_BUFFERS = 32;
const SMALL_BUFFER = 64 * 1024;
const idle: Uint8Array[] = [];
let lent = 0;

function borrow(chunkSize: number, length: number): Uint8Array {
  if (length <= SMALL_BUFFER || chunkSize <= SMALL_BUFFER) {
    return new Uint8Array(Math.min(length, chunkSize, SMALL_BUFFER));
  }
  if (lent >= BIG_BUFFERS) return new Uint8Array(SMALL_BUFFER);
  lent++;
  const reused = idle.pop();
  return reused !== undefined && reused.length === chunkSize ? reused : new Uint8Array(chunkSize);
}

function giveBack(buf: Uint8Array, chunkSize: number): void {
  if (buf.length !== chunkSize || chunkSize <= SMALL_BUFFER) return;
  lent--;
  idle.push(buf);
}

async function writeMultipart(
  t: Transport,
  head: Uint8Array,
  body: Extract<PlanBody, { kind: "multipart" }>,
  o: WriteOptions,
): Promise<number> {
  using file = openPlanned(body);
  await writeAll(t, head);
  let sentBefore = 0;
  for (const part of body.plan.parts) {
    await writeAll(t, part.head);
    sentBefore += part.head.length;
    file.seek(part.range.start);
    const length = part.range.end - part.range.start + 1;
    await copySlice(t, file, { path: body.path, length, sentBefore }, o.chunkSize, null);
    sentBefore += length;
  }
  o.beforeEnd?.(body.plan.contentLength);
  await writeAll(t, body.plan.tail);
  return body.plan.contentLength;
}

/** A body of unknown length in chunked coding (RFC 9112 §7.1). */
async function writeChunked(
  t: Transport,
  head: Uint8Array,
  stream: ReadableStream<Uint8Array>,
  o: WriteOptions,
): Promise<number> {
  const reader = stream.getReader();
  let n = 0;
  let finished = false;
  try {
    await writeAll(t, head);
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        throw new BodySourceError("the response stream", n, `read failed (${reason(e)})`);
      }
      if (r.done) break;
      if (r.value.length === 0) continue;
      await writeAll(t, encodeChunk(r.value));
      n += r.value.length;
    }
    finished = true;
    o.beforeEnd?.(n);
    await writeAll(t, LAST_CHUNK);
    return n;
  } finally {
    // A write that failed (client gone) leaves the source open: cancel it to close the file.
    if (!finished) void reader.cancel().catch(() => {});
  }
}
