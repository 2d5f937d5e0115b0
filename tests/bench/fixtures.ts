/**
 * The temporary folder of one bench run: document root with the generated files, the Range-mix
 * Lua script, and room for each server's config and logs.
 * @module
 */

import { join } from "node:path";
import { BENCH_FILES, FILE_MTIME, offsetBytes, RANGE_MIX, rangeMixScript } from "./cases.ts";

/** Paths inside the temporary folder. */
export interface Fixtures {
  /** The temporary folder (removed at the end unless BENCH_KEEP_TMP=1). */
  readonly tmpDir: string;
  /** Document root shared by all servers. */
  readonly docRoot: string;
  /** The Range-mix Lua script for wrk. */
  readonly rangeScript: string;
}

/**
 * Create the temporary folder and its files. Folders are made world-readable because nginx's
 * workers run as an unprivileged user when the bench runs as root.
 * @returns the paths
 */
export async function makeFixtures(): Promise<Fixtures> {
  const tmpDir = await Deno.makeTempDir({ prefix: "httpserver-bench-" });
  const docRoot = join(tmpDir, "www");
  await Deno.mkdir(docRoot);
  for (const f of BENCH_FILES) {
    const path = join(docRoot, f.name);
    await Deno.writeFile(path, offsetBytes(f.size), { mode: 0o644 });
    await Deno.utime(path, FILE_MTIME, FILE_MTIME);
  }
  const rangeScript = join(tmpDir, "range_mix.lua");
  await Deno.writeTextFile(rangeScript, rangeMixScript("/range.bin", RANGE_MIX));
  await Deno.chmod(tmpDir, 0o755);
  await Deno.chmod(docRoot, 0o755);
  return { tmpDir, docRoot, rangeScript };
}

/**
 * Remove the temporary folder.
 * @param f the fixtures
 */
export async function removeFixtures(f: Fixtures): Promise<void> {
  await Deno.remove(f.tmpDir, { recursive: true }).catch(() => {});
}
