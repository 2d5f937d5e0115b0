import { assertEquals } from "../http/test_assert.ts";
import { FramePool, HEAD_ROOM } from "./frame_pool.ts";

Deno.test("FramePool lends a frame with the body behind the head room, and reuses it", () => {
  const pool = new FramePool(1 << 20);
  const body = new TextEncoder().encode("body");
  const a = pool.acquire(body)!;
  assertEquals(new TextDecoder().decode(a.subarray(HEAD_ROOM)), "body");
  const b = pool.acquire(body)!; // a is still lent: a second frame
  assertEquals(a === b, false);
  pool.release(body, a);
  assertEquals(pool.acquire(body) === a, true);
  assertEquals(pool.bytes, 2 * (HEAD_ROOM + 4));
});

Deno.test("FramePool stops at its byte bound and at 32 frames per body", () => {
  const small = new FramePool(HEAD_ROOM + 10);
  const body = new Uint8Array(10);
  assertEquals(small.acquire(body) !== null, true);
  assertEquals(small.acquire(body), null);
  const pool = new FramePool(1 << 30);
  const frames = Array.from({ length: 40 }, () => pool.acquire(body));
  assertEquals(frames.filter((f) => f !== null).length, 32);
});
