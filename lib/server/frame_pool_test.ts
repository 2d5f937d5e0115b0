import { assertEquals } from "../http/test_assert.ts";
import {
  FramePool,
  type FrameRegistryFactory,
  HEAD_ROOM,
  MAX_FRAMES_PER_BODY,
} from "./frame_pool.ts";

/**
 * A registry that records what it is told and collects only when the test says so (a real
 * collection cannot be forced without --expose-gc, so waiting for one is a timing bet).
 */
class ManualRegistry {
  readonly registered: Array<{ frame: Uint8Array; size: number }> = [];
  collected: (size: number) => void = () => {};
  readonly factory: FrameRegistryFactory = (collected) => {
    this.collected = collected;
    return { register: (frame, size) => void this.registered.push({ frame, size }) };
  };
}

Deno.test("FramePool makes frames only for a body asked for twice", () => {
  const pool = new FramePool(1 << 20);
  const body = new TextEncoder().encode("body");
  assertEquals(pool.acquire(body), null); // first sight: a one-off buffer, no frame
  const a = pool.acquire(body)!;
  assertEquals(new TextDecoder().decode(a.subarray(HEAD_ROOM)), "body");
  assertEquals(pool.bytes, HEAD_ROOM + 4);
});

Deno.test("FramePool lends a frame once at a time and reuses it after release", () => {
  const pool = new FramePool(1 << 20);
  const body = new Uint8Array(4);
  pool.acquire(body);
  const a = pool.acquire(body)!;
  const b = pool.acquire(body)!; // a is still lent: a second frame
  assertEquals(a === b, false);
  pool.release(body, a);
  assertEquals(pool.acquire(body) === a, true);
  assertEquals(pool.bytes, 2 * (HEAD_ROOM + 4));
});

Deno.test("FramePool stops at its byte bound and at MAX_FRAMES_PER_BODY frames per body", () => {
  const small = new FramePool(HEAD_ROOM + 10);
  const body = new Uint8Array(10);
  small.acquire(body);
  assertEquals(small.acquire(body) !== null, true);
  assertEquals(small.acquire(body), null);
  const pool = new FramePool(1 << 30);
  pool.acquire(body);
  const frames = Array.from({ length: MAX_FRAMES_PER_BODY + 8 }, () => pool.acquire(body));
  assertEquals(frames.filter((f) => f !== null).length, MAX_FRAMES_PER_BODY);
});

Deno.test("FramePool registers each frame it makes, once, with its size", () => {
  const registry = new ManualRegistry();
  const pool = new FramePool(1 << 20, registry.factory);
  const body = new Uint8Array(10);
  const other = new Uint8Array(3);
  pool.acquire(body); // first sight: no frame, nothing registered
  pool.acquire(other);
  assertEquals(registry.registered.length, 0);
  const a = pool.acquire(body)!;
  const b = pool.acquire(body)!;
  const c = pool.acquire(other)!;
  pool.release(body, a);
  assertEquals(pool.acquire(body) === a, true); // reused: not registered again
  const frames = [a, b, c];
  assertEquals(registry.registered.length, 3);
  assertEquals(registry.registered.every((r, i) => r.frame === frames[i]), true, "the frames lent");
  assertEquals(registry.registered.map((r) => r.size), [
    HEAD_ROOM + 10,
    HEAD_ROOM + 10,
    HEAD_ROOM + 3,
  ]);
  assertEquals(pool.bytes, registry.registered.reduce((n, r) => n + r.size, 0));
});

Deno.test("FramePool gives a collected frame's bytes back to the budget", () => {
  const registry = new ManualRegistry();
  const size = HEAD_ROOM + 100;
  const pool = new FramePool(2 * size, registry.factory);
  const body = new Uint8Array(100);
  pool.acquire(body);
  pool.acquire(body);
  pool.acquire(body);
  assertEquals(pool.bytes, 2 * size);
  const next = new Uint8Array(100);
  pool.acquire(next);
  assertEquals(pool.acquire(next), null, "the byte bound is reached");
  registry.collected(size); // as the FinalizationRegistry does when a frame is collected
  assertEquals(pool.bytes, size);
  assertEquals(pool.acquire(next)?.length, size, "room again for a frame");
  assertEquals(pool.bytes, 2 * size);
});

Deno.test("FramePool's default registry is a FinalizationRegistry holding each frame's size", () => {
  const Real = globalThis.FinalizationRegistry;
  const made: Array<{ cleanup: (size: number) => void; held: unknown[] }> = [];
  class Recording<T> extends Real<T> {
    readonly held: unknown[] = [];
    constructor(cleanup: (held: T) => void) {
      super(cleanup);
      made.push({ cleanup: cleanup as (size: number) => void, held: this.held });
    }
    override register(target: WeakKey, held: T, token?: WeakKey): void {
      this.held.push(held);
      super.register(target, held, token);
    }
  }
  globalThis.FinalizationRegistry = Recording;
  let pool: FramePool;
  try {
    pool = new FramePool(1 << 20);
  } finally {
    globalThis.FinalizationRegistry = Real;
  }
  const body = new Uint8Array(7);
  pool.acquire(body);
  pool.acquire(body);
  pool.acquire(body);
  assertEquals(made.length, 1);
  assertEquals(made[0]!.held, [HEAD_ROOM + 7, HEAD_ROOM + 7]);
  made[0]!.cleanup(HEAD_ROOM + 7); // what V8 calls after collecting one of them
  assertEquals(pool.bytes, HEAD_ROOM + 7);
});
