/**
 * Client address allow-lists (`ServerStatusAllow`): IPv4/IPv6 addresses and CIDR blocks, parsed
 * and matched with `ipaddr.js`. An IPv4-mapped IPv6 peer (`::ffff:127.0.0.1`, what a dual-stack
 * socket reports) matches IPv4 entries. Pure.
 *
 * Stricter than `ipaddr.parse()`: IPv4 text, alone or at the end of an IPv6 address, must be
 * four decimal parts without leading zeros (`127.1`, `0x7f.0.0.1` and `010.0.0.1` are refused:
 * inet_aton reads them as other addresses than they seem to say).
 * @module
 */

import ipaddr from "ipaddr.js";
import { decimal } from "../http/digits.ts";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** An address (brackets allowed, an IPv6 zone ignored), IPv4-mapped IPv6 as IPv4, or null. */
function parseAddress(text: string): Address | null {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!s.includes(":")) return ipaddr.IPv4.isValidFourPartDecimal(s) ? ipaddr.IPv4.parse(s) : null;
  if (!ipaddr.IPv6.isValid(s)) return null;
  const zone = s.indexOf("%");
  const tail = s.slice(s.lastIndexOf(":") + 1, zone < 0 ? s.length : zone);
  if (tail.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
  const a = ipaddr.IPv6.parse(s);
  return a.isIPv4MappedAddress() ? a.toIPv4Address() : a;
}

/**
 * An address as 4 or 16 bytes (IPv4-mapped IPv6 becomes 4 bytes; a zone is ignored), or null.
 * @example
 * parseIp("::ffff:10.0.0.1"); // Uint8Array [10, 0, 0, 1]
 */
export function parseIp(text: string): Uint8Array | null {
  const a = parseAddress(text);
  return a === null ? null : Uint8Array.from(a.toByteArray());
}

/**
 * An address in one canonical text form (IPv4 dotted quad, IPv6 per RFC 5952, IPv4-mapped IPv6
 * as IPv4; brackets and zone dropped), or null when it is not an address.
 * @example
 * canonicalIp("[::FFFF:10.0.0.1]"); // "10.0.0.1"
 */
export function canonicalIp(text: string): string | null {
  return parseAddress(text)?.toString() ?? null;
}

interface Block {
  readonly net: Address;
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
      const net = parseAddress(slash < 0 ? e : e.slice(0, slash));
      const max = net === null ? 0 : net.kind() === "ipv4" ? 32 : 128;
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
    const a = parseAddress(ip);
    if (a === null) return false;
    return this.#blocks.some((b) => b.net.kind() === a.kind() && a.match(b.net, b.bits));
  }
}
