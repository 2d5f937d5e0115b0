/**
 * Write a planned response to a transport: the head, then the body from memory, a file slice,
 * multipart ranges or a chunked stream. Small bodies go out in the same write as the head;
 * large files are copied through a pooled buffer of ReadChunkSize (faster here than
 * `readable.pipeTo`, see the measurements at the buffer pool below).
 * @module
 */

import { encodeChunk, LAST_CHUNK } from "../http/response_head.ts";
import type { FileVersion, PlanBody } from "../static/plan.ts";
import { concatBytes } from "../util/bytes.ts";

/** What the writer needs from a connection. */
export interface Transport {
  /** Bytes read into `p` (never empty); 0 or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  /** Turn Nagle's algorithm off (TCP_NODELAY), when the transport is a TCP socket. */
  setNoDelay?(on: boolean): void;
}

/** Tuning for the writer. */
export interface WriteOptions {
  /** Bodies up to this size are sent in one write with the head. */
  readonly coalesceBytes: number;
  /** Buffer size for copying file slices. */
  readonly chunkSize: number;
}

/** Write all of `data`, looping over partial writes. */
export async function writeAll(t: Transport, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await t.write(off === 0 ? data : data.subarray(off));
}

/**
 * Write head and body; returns the number of body bytes sent.
 * The head is sent even when opening a file fails, so callers must open-check before planning.
 */
export async function writeResponse(
  t: Transport,
  head: Uint8Array,
  body: PlanBody,
  o: WriteOptions,
): Promise<number> {
  switch (body.kind) {
    case "none":
      await writeAll(t, head);
      return 0;
    case "bytes":
      await writeJoined(t, head, body.data, o);
      return body.data.length;
    case "file":
      return await writeFile(t, head, body, o);
    case "multipart":
      return await writeMultipart(t, head, body, o);
    case "stream":
      return await writeChunked(t, head, body.stream);
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

/**
 * A failure before any byte of the response was written (the file vanished or was replaced
 * since it was planned): the connection can still answer with an error status.
 */
export class BeforeHeadError extends Error {
  override name = "BeforeHeadError";
  constructor(readonly reason: "gone" | "changed" | "unreadable", message: string) {
    super(message);
  }
}

/** Open a file for sending, checking it is still the planned version (nginx checks the fd it opened). */
function openChecked(path: string, version: FileVersion | undefined): Deno.FsFile {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    const gone = e instanceof Deno.errors.NotFound;
    throw new BeforeHeadError(gone ? "gone" : "unreadable", `cannot open ${path}: ${e}`);
  }
  if (version !== undefined) {
    const st = file.statSync();
    if (st.size !== version.size || (st.mtime?.getTime() ?? 0) !== version.mtimeMs) {
      file.close();
      throw new BeforeHeadError("changed", `${path} changed after it was planned`);
    }
  }
  return file;
}

async function writeFile(
  t: Transport,
  head: Uint8Array,
  body: Extract<PlanBody, { kind: "file" }>,
  o: WriteOptions,
): Promise<number> {
  const file = openChecked(body.path, body.version);
  try {
    if (head.length + body.length <= o.coalesceBytes) {
      await writeAll(t, readSliceSync(file, head, body.start, body.length));
    } else {
      if (body.start > 0) await file.seek(body.start, Deno.SeekMode.Start);
      await writeAll(t, head);
      await copySlice(t, file, body.length, o.chunkSize);
    }
    return body.length;
  } finally {
    file.close();
  }
}

/**
 * Head followed by a small file slice, read synchronously: the page cache answers in
 * microseconds, while async file ops would each hop to Deno's blocking thread pool (nginx
 * reads files synchronously too). Large bodies stay asynchronous.
 */
function readSliceSync(
  file: Deno.FsFile,
  head: Uint8Array,
  start: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(head.length + length);
  out.set(head);
  if (start > 0) file.seekSync(start, Deno.SeekMode.Start);
  let off = head.length;
  while (off < out.length) {
    const n = file.readSync(out.subarray(off));
    if (n === null) throw new BeforeHeadError("changed", "file shrank while it was being read");
    off += n;
  }
  return out;
}

async function copySlice(
  t: Transport,
  file: Deno.FsFile,
  length: number,
  chunkSize: number,
): Promise<void> {
  const buf = borrow(chunkSize, length);
  try {
    let left = length;
    while (left > 0) {
      const n = await file.read(left < buf.length ? buf.subarray(0, left) : buf);
      if (n === null) throw new Error("File shrank while it was being sent");
      await writeAll(t, buf.subarray(0, n));
      left -= n;
    }
  } finally {
    giveBack(buf, chunkSize);
  }
}

/*
 * Copy buffers for large bodies. Measured on this machine for a 10 MiB file, 8 connections:
 * Deno's `readable.pipeTo(conn.writable)` 2.2 GB/s, a read/write loop with a 64 KiB buffer
 * 2.2 GB/s, 256 KiB 2.8 GB/s, 1 MiB 3.1 GB/s (nginx with sendfile: 2.9 GB/s). Buffers of
 * ReadChunkSize are reused and at most BIG_BUFFERS are lent at once per worker, so memory stays
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
  using file = openChecked(body.path, body.version);
  await writeAll(t, head);
  for (const part of body.plan.parts) {
    await writeAll(t, part.head);
    await file.seek(part.range.start, Deno.SeekMode.Start);
    await copySlice(t, file, part.range.end - part.range.start + 1, o.chunkSize);
  }
  await writeAll(t, body.plan.tail);
  return body.plan.contentLength;
}

async function writeChunked(
  t: Transport,
  head: Uint8Array,
  stream: ReadableStream<Uint8Array>,
): Promise<number> {
  const reader = stream.getReader();
  let n = 0;
  let finished = false;
  try {
    await writeAll(t, head);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      await writeAll(t, encodeChunk(value));
      n += value.length;
    }
    finished = true;
    await writeAll(t, LAST_CHUNK);
    return n;
  } finally {
    // A write that failed (client gone) leaves the source open: cancel it to close the file.
    if (!finished) void reader.cancel().catch(() => {});
  }
}
