import { assertEquals } from "./test_assert.ts";
import fc from "fast-check";
import { ChunkedDecoder, type ChunkLimits } from "./chunked_decoder.ts";
import { latin1Bytes } from "./test_scan.ts";

const LIMITS: ChunkLimits = { maxBodySize: 1 << 20, maxChunkExtension: 16, maxHeaderBytes: 64 };

/** Decode pieces as a connection would; returns "body|rest" or "error:code" or "more". */
function decode(pieces: Uint8Array[], limits = LIMITS): string {
  const all = pieces.flatMap((p) => Array.from(p));
  const d = new ChunkedDecoder(limits);
  let buf = new Uint8Array(0);
  let pos = 0;
  let body = "";
  for (const piece of pieces) {
    const next = new Uint8Array(buf.length + piece.length);
    next.set(buf);
    next.set(piece, buf.length);
    buf = next;
    for (;;) {
      const s = d.step(buf, pos);
      if (s.kind === "error") return `error:${s.code}`;
      if (s.kind === "data") {
        for (let i = s.start; i < s.end; i++) body += String.fromCharCode(buf[i]!);
        pos = s.end;
        continue;
      }
      pos = s.consumed;
      if (s.kind === "done") {
        const rest = String.fromCharCode(...all.slice(pos));
        return `${body}|${rest}`;
      }
      break;
    }
  }
  return "more";
}

/** Same result whole, split at every offset and byte by byte. */
function scan(text: string, limits = LIMITS): string {
  const bytes = latin1Bytes(text);
  const whole = decode([bytes], limits);
  for (let i = 1; i < bytes.length; i++) {
    assertEquals(decode([bytes.subarray(0, i), bytes.subarray(i)], limits), whole, `split at ${i}`);
  }
  assertEquals(decode(Array.from(bytes, (b) => Uint8Array.of(b)), limits), whole, "byte by byte");
  return whole;
}

Deno.test("ChunkedDecoder decodes the RFC 9112 §7.1 form at every split", () => {
  assertEquals(
    scan("4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\nNEXT"),
    "Wikipedia in\r\n\r\nchunks.|NEXT",
  );
});

Deno.test("ChunkedDecoder accepts extensions, BWS and trailers, discarding them", () => {
  assertEquals(scan("3;a=b\r\nabc\r\n2 ; x\r\nde\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n"), "abcde|");
});

Deno.test("ChunkedDecoder accepts upper- and lower-case hex and leading zeros", () => {
  assertEquals(scan("0A\r\n0123456789\r\n000\r\n\r\n"), "0123456789|");
  assertEquals(scan("a\r\n0123456789\r\n0\r\n\r\n"), "0123456789|");
});

const bad: Array<[string, string]> = [
  ["bad-chunk-size", "x\r\n"],
  ["bad-chunk-size", "\r\n"],
  ["bad-chunk-size", "-1\r\n"],
  ["bad-chunk-size", "1 2\r\n"],
  ["bad-chunk-size", "0x5\r\n"],
  ["bad-chunk-size", "fffffffffffffff\r\n"],
  ["bare-lf", "3\nabc"],
  ["bad-chunk", "3\r\nabcX"],
  ["bad-chunk", "3\r\nabc\rX"],
  ["chunk-extension-too-long", "1;" + "a".repeat(20) + "\r\n"],
  ["bare-lf", "0\r\nX: 1\n"],
  ["obs-fold", "0\r\nX: 1\r\n folded\r\n"],
  ["trailers-too-large", "0\r\nX: " + "a".repeat(70) + "\r\n\r\n"],
];

for (const [code, text] of bad) {
  Deno.test(`ChunkedDecoder rejects ${JSON.stringify(text.slice(0, 24))} with ${code}`, () => {
    assertEquals(scan(text), `error:${code}`);
  });
}

Deno.test("ChunkedDecoder enforces MaxBodySize across chunks", () => {
  const limits = { ...LIMITS, maxBodySize: 5 };
  assertEquals(scan("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", limits), "abcde|");
  assertEquals(scan("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", limits), "error:body-too-large");
});

Deno.test("ChunkedDecoder round-trips any body in any chunking (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 8 }),
      fc.nat(),
      (parts, cut) => {
        const ascii = parts.map((p) => p.replace(/[^\x20-\x7e]/g, "."));
        const wire = ascii.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join("") +
          "0\r\n\r\n";
        const bytes = latin1Bytes(wire);
        const at = cut % (bytes.length + 1);
        assertEquals(decode([bytes.subarray(0, at), bytes.subarray(at)]), ascii.join("") + "|");
      },
    ),
    { numRuns: 500 },
  );
});
