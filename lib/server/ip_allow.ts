/**
 * Client address allow-lists (`ServerStatusAllow`): IPv4/IPv6 addresses and CIDR blocks,
 * compared as bytes. An IPv4-mapped IPv6 peer (`::ffff:127.0.0.1`, what a dual-stack socket
 * reports) matches IPv4 entries. Pure.
 * @module
 */

import { decimal } from "../http/digits.ts";

function parseV4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = decimal(parts[i]!, 3);
    if (n === null || n > 255) return null;
    out[i] = n;
  }
  return out;
}

function hexGroup(s: string): number | null {
  if (s.length === 0 || s.length > 4) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39
      ? c - 0x30
      : c >= 0x61 && c <= 0x66
      ? c - 0x57
      : c >= 0x41 && c <= 0x46
      ? c - 0x37
      : -1;
    if (d < 0) return null;
    n = n * 16 + d;
  }
  return n;
}

/** RFC 4291 §2.2 text form (with `::` and an IPv4 tail) as 16 bytes, or null. */
function parseV6(s: string): Uint8Array | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const words: number[][] = [];
  for (const h of halves) {
    const ws: number[] = [];
    const groups = h === "" ? [] : h.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (v4 === null) return null;
        ws.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        const n = hexGroup(g);
        if (n === null) return null;
        ws.push(n);
      }
    }
    words.push(ws);
  }
  const head = words[0]!;
  const tail = words[1] ?? [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * An address as 4 or 16 bytes (IPv4-mapped IPv6 becomes 4 bytes; a zone is ignored), or null.
 * @example
 * parseIp("::ffff:10.0.0.1"); // Uint8Array [10, 0, 0, 1]
 */
export function parseIp(text: string): Uint8Array | null {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!s.includes(":")) return parseV4(s);
  const pct = s.indexOf("%");
  const v6 = parseV6(pct < 0 ? s : s.slice(0, pct));
  if (v6 === null) return null;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

interface Block {
  readonly net: Uint8Array;
  readonly bits: number;
}

/** A parsed allow-list. */
export class IpAllowList {
  readonly #blocks: Block[] = [];

  /**
   * @param entries addresses or CIDR blocks (`10.0.0.0/8`, `fd00::/8`)
   * @throws {TypeError} for an entry that is neither
   */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const slash = e.indexOf("/");
      const net = parseIp(slash < 0 ? e : e.slice(0, slash));
      const max = net === null ? 0 : net.length * 8;
      let bits = slash < 0 ? max : decimal(e.slice(slash + 1), 3);
      // An IPv4-mapped block (::ffff:10.0.0.0/104) is an IPv4 block 96 bits shorter.
      if (bits !== null && slash >= 0 && max === 32 && e.includes(":")) {
        bits = Math.max(0, bits - 96);
      }
      if (net === null || bits === null || bits > max) {
        throw new TypeError(`Cannot use "${e}" as an IP address or CIDR block`);
      }
      this.#blocks.push({ net, bits });
    }
  }

  /** Whether a client address is in the list (an unparsable address never is). */
  allows(ip: string): boolean {
    const a = parseIp(ip);
    if (a === null) return false;
    return this.#blocks.some((b) => b.net.length === a.length && prefixMatch(a, b.net, b.bits));
  }
}

function prefixMatch(a: Uint8Array, net: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== net[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & mask) === (net[whole]! & mask);
}
