/**
 * The name of an upload's temporary file: a PUT or POST body is written to `.<uuid>.upload`
 * beside its target and renamed into place when complete (deno_fs.ts writeAtomic). The sweep
 * of orphaned ones (upload_sweep.ts) matches exactly this pattern, nothing looser.
 * @module
 */

/** The temporary file names writeAtomic makes. */
export const UPLOAD_TEMP =
  /^\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.upload$/;

/** A new temporary file name (hidden: it is never served or listed). */
export function uploadTempName(): string {
  return `.${crypto.randomUUID()}.upload`;
}
