import { assertEquals } from "../http/test_assert.ts";
import { FieldList } from "../http/headers.ts";
import type { ResponsePlan } from "./plan.ts";
import { DOOR_SLOTS, memoized, ResponseMemo } from "./response_memo.ts";

function req(method: string, target: string, ...fields: Array<[string, string]>) {
  const headers = new FieldList();
  for (const [n, v] of fields) headers.add(n, v);
  return { method, target, headers, streamable: true };
}

const bytesPlan = (status: number, text: string): ResponsePlan => ({
  status,
  fields: [["Content-Length", String(text.length)]],
  body: { kind: "bytes", data: new TextEncoder().encode(text) },
});

function setup(plan: (r: { target: string }) => ResponsePlan) {
  let now = 0;
  let calls = 0;
  const memo = new ResponseMemo({ ttlMs: 1000, maxEntries: 2, maxBodyBytes: 10, now: () => now });
  const handle = memoized(memo, (r: ReturnType<typeof req>) => {
    calls++;
    return Promise.resolve(plan(r));
  });
  return { memo, handle, calls: () => calls, tick: (ms: number) => (now += ms) };
}

/** Ask twice: a key is kept from its second miss on (the doorkeeper). Returns the second plan. */
async function warm(handle: (r: ReturnType<typeof req>) => unknown, r: ReturnType<typeof req>) {
  await handle(r);
  return await handle(r) as ResponsePlan;
}

Deno.test("memoized() reuses a 200 in-memory plan for the revalidation interval", async () => {
  const s = setup(() => bytesPlan(200, "hi"));
  const a = await warm(s.handle, req("GET", "/a"));
  const b = await s.handle(req("GET", "/a"));
  assertEquals(a === b, true);
  assertEquals(s.calls(), 2);
  s.tick(1000);
  await s.handle(req("GET", "/a")); // expired: planned again, and kept at once (seen before)
  await s.handle(req("GET", "/a"));
  assertEquals(s.calls(), 3);
});

Deno.test("memoized() keeps a key from its second miss on, so one-off targets stay out", async () => {
  const s = setup(() => bytesPlan(200, "hi"));
  for (let i = 0; i < 50; i++) await s.handle(req("GET", `/once-${i}`));
  assertEquals(s.memo.size, 0, "a flood of one-off targets is not kept");
  assertEquals(s.calls(), 50);
  await s.handle(req("GET", "/hot"));
  assertEquals(s.memo.size, 0);
  await s.handle(req("GET", "/hot"));
  assertEquals(s.memo.size, 1);
  for (let i = 50; i < 100; i++) await s.handle(req("GET", `/once-${i}`));
  const before = s.calls();
  await s.handle(req("GET", "/hot"));
  assertEquals(s.calls(), before, "the hot entry was not pushed out by the one-off targets");
  assertEquals(DOOR_SLOTS & (DOOR_SLOTS - 1), 0, "a power of two: slots are taken by a mask");
});

Deno.test("memoized() never memoizes write preconditions, If-Range, other errors, or big bodies", async () => {
  const s = setup((r) =>
    r.target === "/500"
      ? bytesPlan(500, "no")
      : bytesPlan(200, r.target === "/big" ? "x".repeat(11) : "ok")
  );
  for (
    const h of [["if-match", '"x"'], ["if-range", '"x"'], [
      "if-unmodified-since",
      "x",
    ]] as Array<[string, string]>
  ) {
    await s.handle(req("GET", "/a", h));
    await s.handle(req("GET", "/a", h));
  }
  assertEquals(s.calls(), 6);
  await s.handle(req("GET", "/500"));
  await s.handle(req("GET", "/500"));
  await s.handle(req("GET", "/big"));
  await s.handle(req("GET", "/big"));
  await s.handle(req("POST", "/a"));
  await s.handle(req("POST", "/a"));
  assertEquals(s.calls(), 12);
});

Deno.test("memoized() keeps 304s and revalidation answers apart by validator value", async () => {
  const notModified: ResponsePlan = {
    status: 304,
    fields: [["ETag", '"v1"']],
    body: { kind: "none" },
  };
  const s = setup((r) => {
    const inm = (r as ReturnType<typeof req>).headers.get("if-none-match");
    const ims = (r as ReturnType<typeof req>).headers.get("if-modified-since");
    return inm === '"v1"' || (inm === undefined && ims !== undefined)
      ? notModified
      : bytesPlan(200, "v1");
  });
  const a = await warm(s.handle, req("GET", "/a", ["if-none-match", '"v1"']));
  const b = await s.handle(req("GET", "/a", ["if-none-match", '"v1"']));
  assertEquals(a.status, 304);
  assertEquals(a === b, true);
  assertEquals(s.calls(), 2);
  const c = await warm(s.handle, req("GET", "/a", ["if-none-match", '"v0"']));
  assertEquals(c.status, 200);
  await s.handle(req("GET", "/a", ["if-none-match", '"v0"']));
  assertEquals(s.calls(), 4);
  await warm(s.handle, req("GET", "/a", ["if-modified-since", "Sun, 22 Nov 2026 10:00:00 GMT"]));
  await s.handle(req("GET", "/a", ["if-modified-since", "Sun, 22 Nov 2026 10:00:00 GMT"]));
  assertEquals(s.calls(), 6);
  // Two If-None-Match fields: the responder combines them; never memoized.
  for (let i = 0; i < 3; i++) {
    await s.handle(req("GET", "/a", ["if-none-match", '"v1"'], ["if-none-match", '"v2"']));
  }
  assertEquals(s.calls(), 9);
});

Deno.test("memoized() keys by method and Accept-Encoding, is bounded, and clear() empties it", async () => {
  const s = setup(() => bytesPlan(200, "ok"));
  await warm(s.handle, req("GET", "/a"));
  await warm(s.handle, req("HEAD", "/a"));
  await warm(s.handle, req("GET", "/a", ["accept-encoding", "gzip"]));
  assertEquals(s.calls(), 6);
  assertEquals(s.memo.size, 2, "bounded at 2 entries");
  await s.handle(req("GET", "/a", ["accept-encoding", "gzip"]));
  assertEquals(s.calls(), 6, "a hit");
  // A PUT or DELETE passes through unmemoized; the file cache's invalidation clears the memo.
  await s.handle(req("PUT", "/a"));
  assertEquals(s.memo.size, 2);
  s.memo.clear();
  assertEquals(s.memo.size, 0);
  await s.handle(req("GET", "/a", ["accept-encoding", "gzip"]));
  assertEquals(s.calls(), 8);
});

Deno.test("memoized() keeps a 404 with its error.log note, so each request still logs it", async () => {
  const s = setup(() => ({ ...bytesPlan(404, "no"), note: { level: "info", message: "missing" } }));
  const a = await warm(s.handle, req("GET", "/gone"));
  const b = await s.handle(req("GET", "/gone"));
  assertEquals(s.calls(), 2);
  assertEquals(b.note?.message, "missing");
  assertEquals(a === b, true);
});

Deno.test("memoized() keeps plans for streamable and non-streamable clients apart", async () => {
  const s = setup(() => bytesPlan(200, "ok"));
  await warm(s.handle, { ...req("HEAD", "/a"), streamable: true });
  await warm(s.handle, { ...req("HEAD", "/a"), streamable: false });
  await s.handle({ ...req("HEAD", "/a"), streamable: false });
  await s.handle({ ...req("HEAD", "/a"), streamable: true });
  assertEquals(s.calls(), 4);
});

Deno.test("ResponseMemo.key() gives every kind of request its own key", () => {
  const memo = new ResponseMemo({ ttlMs: 1000, maxEntries: 2, maxBodyBytes: 10, now: () => 0 });
  const keys = [
    memo.key(req("GET", "/a")),
    memo.key(req("HEAD", "/a")),
    memo.key(req("GET", "/a", ["accept-encoding", "gzip"])),
    memo.key(req("HEAD", "/a", ["accept-encoding", "gzip"])),
    memo.key({ ...req("GET", "/a"), streamable: false }),
    memo.key({ ...req("HEAD", "/a"), streamable: false }),
    memo.key(req("GET", "/b")),
    memo.key(req("GET", "*")),
    memo.key(req("GET", "/a", ["range", "bytes=0-1"])),
    memo.key(req("HEAD", "/a", ["range", "bytes=0-1"])),
    memo.key(req("GET", "/a", ["range", "bytes=0-2"])),
    memo.key(req("GET", "/a", ["accept-encoding", "gzip"], ["range", "bytes=0-1"])),
    // The same value in different fields is a different question.
    memo.key(req("GET", "/a", ["if-none-match", "bytes=0-1"])),
    memo.key(req("GET", "/a", ["if-modified-since", "bytes=0-1"])),
    memo.key(req("GET", "/a", ["if-none-match", '"x"'])),
    memo.key(req("GET", "/a", ["if-none-match", '"x"'], ["range", "bytes=0-1"])),
  ];
  assertEquals(keys.every((k) => k !== null), true);
  assertEquals(new Set(keys).size, keys.length);
  // Fields that are not part of a key leave it alone, names of Object.prototype members too.
  assertEquals(
    memo.key(req("GET", "/a", ["constructor", "x"], ["__proto__", "y"], ["tostring", "z"])),
    memo.key(req("GET", "/a")),
  );
});

Deno.test("memoized() plans a hot key again in the background before it expires", async () => {
  let version = 0;
  const s = setup(() => bytesPlan(200, `v${version}`));
  const first = await warm(s.handle, req("GET", "/a"));
  assertEquals(s.calls(), 2);
  s.tick(700); // before REFRESH_AT (750 of 1000 ms): a plain hit
  assertEquals(s.handle(req("GET", "/a")) === first, true);
  assertEquals(s.calls(), 2);
  version = 1;
  s.tick(100); // past REFRESH_AT: still answered at once, and one successor is planned
  assertEquals(s.handle(req("GET", "/a")) === first, true);
  assertEquals(s.handle(req("GET", "/a")) === first, true);
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(s.calls(), 3);
  s.tick(300); // the first entry's lifetime is over; its successor answers synchronously
  const next = s.handle(req("GET", "/a"));
  assertEquals(next instanceof Promise, false);
  assertEquals(
    new TextDecoder().decode((next as ResponsePlan & { body: { data: Uint8Array } }).body.data),
    "v1",
  );
  assertEquals(s.calls(), 3);
});

Deno.test("memoized() does not keep a plan made before a write cleared the memo", async () => {
  let release: () => void = () => {};
  let calls = 0;
  const memo = new ResponseMemo({ ttlMs: 1000, maxEntries: 2, maxBodyBytes: 10, now: () => 0 });
  const handle = memoized(memo, (r: ReturnType<typeof req>) => {
    calls++;
    if (r.method !== "GET") return bytesPlan(204, "");
    return new Promise<ResponsePlan>((res) => (release = () => res(bytesPlan(200, "old"))));
  });
  const pending = handle(req("GET", "/a")); // planned from the old file...
  memo.clear(); // ...which a write replaces before the plan is ready
  release();
  await pending;
  assertEquals(memo.size, 0);
  const again = handle(req("GET", "/a"));
  assertEquals(again instanceof Promise, true);
  release();
  await again;
  assertEquals(calls, 2);
});

Deno.test("memoized() keeps range answers apart by Range value, never with If-Range", async () => {
  const s = setup((r) => bytesPlan(206, (r as ReturnType<typeof req>).headers.get("range") ?? ""));
  const a = await warm(s.handle, req("GET", "/a", ["range", "bytes=0-1"]));
  const b = await s.handle(req("GET", "/a", ["range", "bytes=0-1"]));
  assertEquals(a === b, true);
  assertEquals(s.calls(), 2);
  const c = await warm(s.handle, req("GET", "/a", ["range", "bytes=2-3"]));
  assertEquals(new TextDecoder().decode((c.body as { data: Uint8Array }).data), "bytes=2-3");
  await s.handle(req("GET", "/a", ["range", "bytes=2-3"]));
  assertEquals(s.calls(), 4);
  await warm(s.handle, req("GET", "/a", ["range", "bytes=0-1"], ["if-range", '"x"']));
  await warm(s.handle, req("GET", "/a", ["range", "bytes=0-1"], ["range", "bytes=2-3"]));
  assertEquals(s.calls(), 8);
});

Deno.test("memoized() lets a late background successor not overwrite a newer plan", async () => {
  let now = 0;
  const memo = new ResponseMemo({ ttlMs: 1000, maxEntries: 2, maxBodyBytes: 10, now: () => now });
  const pending: Array<(p: ResponsePlan) => void> = [];
  const handle = memoized(memo, () => new Promise<ResponsePlan>((res) => pending.push(res)));
  const text = (p: ResponsePlan) => new TextDecoder().decode((p.body as { data: Uint8Array }).data);
  for (const v of ["v0", "v1"]) { // the second miss is kept (the doorkeeper)
    const miss = handle(req("GET", "/a")) as Promise<ResponsePlan>;
    pending.shift()!(bytesPlan(200, v));
    await miss;
  }
  assertEquals(memo.size, 1);
  now = 800;
  handle(req("GET", "/a")); // a hit past REFRESH_AT: the successor is planned (and is slow)
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(pending.length, 1);
  const slow = pending.shift()!;
  now = 1000; // the entry expires; a miss plans and keeps a newer version
  const miss = handle(req("GET", "/a")) as Promise<ResponsePlan>;
  await new Promise((r) => setTimeout(r, 0));
  pending.shift()!(bytesPlan(200, "v3"));
  await miss;
  slow(bytesPlan(200, "v2")); // the late successor, planned from an older state
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(text(handle(req("GET", "/a")) as ResponsePlan), "v3");
});
