/**
 * Path helpers for tests (node:path plus file-URL conversion).
 * @module
 */
export { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A file: URL as a path. */
export function fromFileUrl(url: string): string {
  return fileURLToPath(url);
}
