import { assertEquals } from "../http/test_assert.ts";
import { LoopClock } from "../util/loop_clock.ts";
import { INITIAL_BUFFER, ReadBuffer } from "./read_buffer.ts";
import type { Transport } from "./transport.ts";

const enc = new TextEncoder();

/** A transport that hands out these pieces, one per read. */
function pieces(...parts: string[]): Transport {
  return {
    read(p) {
      const next = parts.shift();
      if (next === undefined) return Promise.resolve(null);
      const b = enc.encode(next);
      p.set(b.subarray(0, p.length));
      return Promise.resolve(Math.min(p.length, b.length));
    },
    write: (p) => Promise.resolve(p.length),
    close() {},
  };
}

Deno.test("ReadBuffer compacts what is left to the front, then grows up to its bound", async () => {
  const big = "x".repeat(INITIAL_BUFFER);
  const b = new ReadBuffer(pieces("abcdef", big, big, big), new LoopClock(), INITIAL_BUFFER * 2);
  assertEquals(await b.fill(), true);
  b.start = 4; // "abcd" used
  assertEquals(await b.fill(), true); // fills the rest of the buffer
  assertEquals(b.end, INITIAL_BUFFER);
  b.makeRoom(); // compacts: "ef" + the start of `big` move to the front
  assertEquals([b.start, b.end, String.fromCharCode(b.buf[0]!, b.buf[1]!)], [
    0,
    INITIAL_BUFFER - 4,
    "ef",
  ]);
  assertEquals(await b.fill(), true);
  b.makeRoom(); // full from the front: grows to the bound
  assertEquals(b.buf.length, INITIAL_BUFFER * 2);
  b.end = b.buf.length;
  b.makeRoom(); // at the bound: stays
  assertEquals(b.buf.length, INITIAL_BUFFER * 2);
});

Deno.test("ReadBuffer.rewind() goes back to a small buffer between requests, and firstLine() reads the start", async () => {
  const b = new ReadBuffer(pieces("GET /x HTTP/1.1\r\nHost: a\r\n"), new LoopClock(), 65536);
  await b.fill();
  assertEquals(b.firstLine(), "GET /x HTTP/1.1");
  b.rewind(); // bytes left: nothing moves
  assertEquals(b.empty, false);
  b.start = b.end;
  b.buf = new Uint8Array(8192);
  b.rewind();
  assertEquals([b.start, b.end, b.buf.length], [0, 0, INITIAL_BUFFER]);
  assertEquals(b.firstLine(), null);
  assertEquals(await b.fill(), false, "end of stream");
});
