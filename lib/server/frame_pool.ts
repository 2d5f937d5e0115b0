/**
 * Reusable response frames for small bodies held in memory: a frame is a buffer with room for
 * the head in front and the body already copied behind it, so a hot file is answered with one
 * write of one existing buffer, with no allocation or body copy per request (a 64 KiB file served
 * ~1.7x faster than from a fresh buffer per response: docs/PERFORMANCE.md).
 *
 * A frame is lent to one response at a time (its head region is rewritten per response) and
 * returned when the write has completed. Frames are made only for a body asked for twice (a
 * cached file, a memoized page), are bounded per body and in bytes per worker, and give their
 * bytes back when their body is collected; beyond the bounds the caller builds a fresh buffer.
 * @module
 */

/** Bytes reserved in front of the body for the head. */
export const HEAD_ROOM = 2048;

/**
 * Frames a body may have at once (roughly the connections sending it concurrently; a frame is
 * lent until its write completes). 32 was too few for 50 clients on one file.
 */
export const MAX_FRAMES_PER_BODY = 256;

/** A body's frames. */
class Frames {
  readonly free: Uint8Array[] = [];
  count = 0;
  /** Times the body was asked for: frames are made from the second time on. */
  seen = 0;
}

/** What a FramePool needs of its FinalizationRegistry. */
export interface FrameRegistry {
  /** Call the factory's `collected(size)` once `frame` has been garbage-collected. */
  register(frame: Uint8Array, size: number): void;
}

/**
 * Makes a pool's registry. Tests pass their own: a collection cannot be forced without
 * `--expose-gc`, so they call `collected` themselves.
 */
export type FrameRegistryFactory = (collected: (size: number) => void) => FrameRegistry;

/** A FinalizationRegistry. */
const finalizationRegistry: FrameRegistryFactory = (collected) =>
  new FinalizationRegistry<number>(collected);

/** Frame pools for one worker. */
export class FramePool {
  readonly #byBody = new WeakMap<Uint8Array, Frames>();
  readonly #maxBytes: number;
  #bytes = 0;
  // Frames die with their body (WeakMap); give their bytes back to the budget when they do.
  readonly #gone: FrameRegistry;

  /**
   * @param maxBytes most bytes all frames of this pool may hold
   * @param makeRegistry the registry told of each frame (default a FinalizationRegistry)
   */
  constructor(maxBytes: number, makeRegistry: FrameRegistryFactory = finalizationRegistry) {
    this.#maxBytes = maxBytes;
    this.#gone = makeRegistry((size) => (this.#bytes -= size));
  }

  /** Bytes held by frames (for tests). */
  get bytes(): number {
    return this.#bytes;
  }

  /** A frame for `body` (body at HEAD_ROOM), or null when the bounds are reached. */
  acquire(body: Uint8Array): Uint8Array | null {
    let f = this.#byBody.get(body);
    if (f === undefined) this.#byBody.set(body, f = new Frames());
    const ready = f.free.pop();
    if (ready !== undefined) return ready;
    // A body seen once (a range slice, an assembled multipart) is not worth a frame.
    if (++f.seen < 2) return null;
    const size = HEAD_ROOM + body.length;
    if (f.count >= MAX_FRAMES_PER_BODY || this.#bytes + size > this.#maxBytes) return null;
    const frame = new Uint8Array(size);
    frame.set(body, HEAD_ROOM);
    f.count++;
    this.#bytes += size;
    this.#gone.register(frame, size);
    return frame;
  }

  /** Give a frame back once its write has completed. */
  release(body: Uint8Array, frame: Uint8Array): void {
    this.#byBody.get(body)?.free.push(frame);
  }
}
