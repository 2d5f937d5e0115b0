import { assertEquals } from "../http/test_assert.ts";
import { FramePool, HEAD_ROOM, MAX_FRAMES_PER_BODY } from "./frame_pool.ts";

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

Deno.test("FramePool gives the bytes of collected bodies' frames back to the budget", async () => {
  const pool = new FramePool(1 << 30);
  (() => {
    for (let i = 0; i < 50; i++) {
      const body = new Uint8Array(100_000);
      pool.acquire(body);
      pool.acquire(body);
    }
  })();
  const before = pool.bytes;
  assertEquals(before > 0, true);
  // deno-lint-ignore no-explicit-any
  const gc = (globalThis as any).gc as (() => void) | undefined;
  for (let i = 0; i < 50 && pool.bytes === before; i++) {
    gc?.();
    const junk = Array.from({ length: 100 }, () => new Uint8Array(1_000_000));
    junk.length = 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(pool.bytes < before, true, "some frame bytes were returned");
});
