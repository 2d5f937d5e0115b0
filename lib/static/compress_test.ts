import assert from "node:assert/strict";
import { gzipStream, isCompressible } from "./compress.ts";

Deno.test("isCompressible() compares the media type without parameters, case-insensitively", () => {
  const types = new Set(["text/html", "image/svg+xml"]);
  assert.equal(isCompressible("text/html; charset=utf-8", types), true);
  assert.equal(isCompressible("Text/HTML", types), true);
  assert.equal(isCompressible("image/svg+xml", types), true);
  assert.equal(isCompressible("image/png", types), false);
  assert.equal(isCompressible("text/htmlx", types), false);
});

Deno.test("gzipStream() output decompresses to the input", async () => {
  const text = "abc".repeat(10000);
  const gz = new Uint8Array(
    await new Response(gzipStream(new Blob([text]).stream())).arrayBuffer(),
  );
  assert.equal(gz[0], 0x1f);
  assert.equal(gz[1], 0x8b);
  assert(gz.length < text.length / 10);
  const back = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  assert.equal(await new Response(back).text(), text);
});

Deno.test("gzipStream() cancels its source when cancelled", async () => {
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(new Uint8Array(1024)),
    cancel: () => {
      cancelled = true;
    },
  });
  const reader = gzipStream(source).getReader();
  await reader.read();
  await reader.cancel();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(cancelled, true);
});
