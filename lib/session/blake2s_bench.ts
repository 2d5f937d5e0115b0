/**
 * The session cookie's tag, ours against `@noble/hashes` (docs/PERFORMANCE.md): a 32-byte key,
 * a 22-byte payload, a 17-byte tag. Run: `deno bench lib/session/blake2s_bench.ts`.
 * @module
 */

import { blake2s } from "@noble/hashes/blake2.js";
import { Blake2sKey } from "./blake2s.ts";

const key = crypto.getRandomValues(new Uint8Array(32));
const payload = crypto.getRandomValues(new Uint8Array(22));
const out = new Uint8Array(17);
const ours = new Blake2sKey(key, 17);
const keyed = blake2s.create({ key, dkLen: 17 });

Deno.bench("Blake2sKey.macInto()", { group: "cookie tag", baseline: true }, () => {
  ours.macInto(payload, out, 0, 17);
  payload[0] = out[0]!; // each tag depends on the last, so none can be skipped
});

Deno.bench("@noble/hashes blake2s(payload, { key, dkLen })", { group: "cookie tag" }, () => {
  payload[0] = blake2s(payload, { key, dkLen: 17 })[0]!;
});

Deno.bench("@noble/hashes keyed state, clone() per tag", { group: "cookie tag" }, () => {
  payload[0] = keyed.clone().update(payload).digest()[0]!;
});
