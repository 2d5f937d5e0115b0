/**
 * Test helpers shared by the session tests.
 * @module
 */

import { HmacKey } from "./hmac.ts";
import { toBase64Url } from "./session.ts";

/**
 * A cookie value as signers before BLAKE2s made it: 18 id bytes, the issue time (seconds,
 * big-endian), then HMAC-SHA256 of those 22 bytes under the secret, first 17 bytes.
 */
export function legacyCookie(secret: string, id: Uint8Array, issuedS: number): string {
  const bytes = new Uint8Array(39);
  bytes.set(id);
  new DataView(bytes.buffer).setUint32(18, issuedS);
  const tag = new HmacKey(new TextEncoder().encode(secret)).sign(bytes.subarray(0, 22));
  bytes.set(tag.subarray(0, 17), 22);
  return toBase64Url(bytes);
}
