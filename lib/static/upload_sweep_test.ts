import assert from "node:assert/strict";
import { join } from "node:path";
import { sweepOrphanUploads, UPLOAD_TEMP } from "./upload_sweep.ts";

const OLD = new Date(Date.now() - 3_600_000);

Deno.test("sweepOrphanUploads() removes old upload temp files only, in nested folders", async () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(root, "a/b"), { recursive: true });
    const old = join(root, "a/b", `.${crypto.randomUUID()}.upload`);
    const fresh = join(root, "a", `.${crypto.randomUUID()}.upload`);
    const page = join(root, "a", "page.upload"); // not our name pattern
    const hidden = join(root, ".profile");
    for (const p of [old, fresh, page, hidden]) Deno.writeTextFileSync(p, "x");
    for (const p of [old, page, hidden]) Deno.utimeSync(p, OLD, OLD);
    const removed = await sweepOrphanUploads({ root, folders: [root], olderThanMs: 120_000 });
    assert.deepEqual(removed, [old]);
    for (const p of [fresh, page, hidden]) assert.ok(Deno.statSync(p).isFile, p);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("sweepOrphanUploads() follows no symlinked folder and survives missing ones", async () => {
  const root = Deno.makeTempDirSync();
  const outside = Deno.makeTempDirSync();
  try {
    const there = join(outside, `.${crypto.randomUUID()}.upload`);
    Deno.writeTextFileSync(there, "x");
    Deno.utimeSync(there, OLD, OLD);
    Deno.symlinkSync(outside, join(root, "link"));
    const folders = [root, join(root, "missing"), join(root, "link")];
    assert.deepEqual(await sweepOrphanUploads({ root, folders, olderThanMs: 1000 }), []);
    assert.ok(Deno.statSync(there).isFile);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("UPLOAD_TEMP matches the names writeAtomic makes, and nothing looser", () => {
  assert.ok(UPLOAD_TEMP.test(`.${crypto.randomUUID()}.upload`));
  assert.ok(!UPLOAD_TEMP.test("x.upload"));
  assert.ok(!UPLOAD_TEMP.test(`.${crypto.randomUUID()}.upload.txt`));
});
