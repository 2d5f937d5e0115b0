import assert from "node:assert/strict";
import type { AccessRecord } from "../log/access_log.ts";
import type { FileSystem, OpenFile } from "../static/fs_port.ts";
import type { ResponsePlan } from "../static/plan.ts";
import { BodySourceError } from "./body_writer.ts";
import { ResponseWriter, type WriterHooks } from "./response_writer.ts";
import type { Transport } from "./transport.ts";

/** A transport that records each write (its size) and each access record, in order. */
function recorder(events: string[]): Transport {
  return {
    read: () => Promise.resolve(null),
    write: (p) => {
      events.push(`write ${p.length}`);
      return Promise.resolve(p.length);
    },
    close: () => {},
  };
}

function hooks(events: string[], logBeforeEnd: boolean, errors: string[] = []): WriterHooks {
  return {
    errorPlan: (status) => ({ status, fields: [], body: { kind: "none" } }),
    date: () => "Thu, 01 Jan 1970 00:00:00 GMT",
    access: (r: AccessRecord) => events.push(`access ${r.status} ${r.bytes}`),
    error: (level, message) => errors.push(`${level}: ${message}`),
    logBeforeEnd,
  };
}

function writer(events: string[], logBeforeEnd: boolean, errors: string[] = []) {
  const w = new ResponseWriter({
    transport: recorder(events),
    peer: { ip: "10.0.0.1", port: 5 },
    serverHeader: "test",
    chunkSize: 4096,
    logScheme: null,
    hooks: hooks(events, logBeforeEnd, errors),
    host: { responseStarted() {}, progressed() {} },
  });
  w.begin(null, "GET /f HTTP/1.1", 1);
  return w;
}

/** A file of `size` bytes whose reads fail from byte `failAt` on (EIO, as a bad disk). */
function failingFile(size: number, failAt = Infinity): FileSystem {
  let at = 0;
  const file: OpenFile = {
    read(p) {
      if (at >= failAt) return Promise.reject(new Error("Input/output error (os error 5)"));
      if (at >= size) return Promise.resolve(null);
      const n = Math.min(p.length, size - at, failAt - at);
      at += n;
      return Promise.resolve(n);
    },
    readSync: () => null,
    seek: (o) => void (at = o),
    close() {},
    [Symbol.dispose]() {},
  };
  return { open: () => file } as unknown as FileSystem;
}

const small: ResponsePlan = {
  status: 200,
  fields: [["Content-Length", "3"]],
  body: { kind: "bytes", data: new Uint8Array(3) },
};
const large = (fs: FileSystem, length: number): ResponsePlan => ({
  status: 200,
  fields: [["Content-Length", String(length)]],
  body: { kind: "file", fs, path: "/srv/big.bin", start: 0, length },
});

Deno.test("ResponseWriter makes the access record after the response is written, by default", async () => {
  const events: string[] = [];
  await writer(events, false).send(small, true);
  assert.deepEqual(events.map((e) => e.split(" ")[0]), ["write", "access"]);
});

Deno.test("ResponseWriter with logBeforeEnd makes the record before the last write (AccessLogFlush 0)", async () => {
  const events: string[] = [];
  const w = writer(events, true);
  const quick = w.small(small, true)!;
  const n = await quick;
  await w.afterSmall(n);
  await w.send(large(failingFile(200_000), 200_000), true);
  // The small response: one record, then its one write. The file: head and chunks, the record
  // before the last chunk, which carries the bytes the response will have sent.
  assert.equal(events[0], "access 200 3");
  assert.match(events[1]!, /^write \d+$/);
  const rest = events.slice(2);
  assert.equal(rest.filter((e) => e.startsWith("access")).length, 1);
  assert.equal(rest[rest.length - 2], "access 200 200000");
  assert.match(rest[rest.length - 1]!, /^write \d+$/);
});

Deno.test("ResponseWriter: a file that fails to read after the head gives one error line and a BodySourceError", async () => {
  for (const logBeforeEnd of [false, true]) {
    const events: string[] = [];
    const errors: string[] = [];
    const w = writer(events, logBeforeEnd, errors);
    await assert.rejects(
      w.send(large(failingFile(200_000, 8192), 200_000), true),
      BodySourceError,
    );
    assert.deepEqual(errors, [
      "error: /srv/big.bin: read failed (Input/output error (os error 5)) after 8192 body " +
      "bytes were sent; connection closed",
    ]);
    // One access record, with the bytes that did go out.
    assert.deepEqual(events.filter((e) => e.startsWith("access")), ["access 200 8192"]);
  }
});
