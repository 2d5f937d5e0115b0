/**
 * The client a request comes from behind load balancers: the connection's peer, unless that
 * peer is in `TrustedProxies` and names the client in `ForwardedHeader` (X-Forwarded-For or
 * RFC 7239 Forwarded). The list is read from the right, the hop our peer added last: each
 * trusted proxy vouches for the hop before it, and the right-most address that is not a trusted
 * proxy is the client. Anything to its left was written by the client itself and is ignored, so
 * a client cannot pick its own address; a header from a peer that is not trusted changes nothing.
 * Pure.
 *
 * ```
 * X-Forwarded-For: 198.51.100.7, 203.0.113.9, 10.0.0.2      peer 10.0.0.3 (trusted: 10.0.0.0/8)
 *                  ^ spoofable     ^ client     ^ trusted hop
 * ```
 * @module
 */

import { decimal } from "../http/digits.ts";
import type { FieldList } from "../http/headers.ts";
import { canonicalIp, IpAllowList } from "./ip_allow.ts";
import type { Peer } from "./request.ts";

/** Which header trusted proxies name the client in. */
export type ForwardedHeader = "x-forwarded-for" | "forwarded" | "off";

/** Most hops of a forwarding header examined (a longer chain ends at the last one read). */
export const MAX_HOPS = 64;

/** Resolves the client address of requests. */
export class ClientResolver {
  readonly #trusted: IpAllowList;
  readonly #header: ForwardedHeader;

  /**
   * @param trusted TrustedProxies: addresses or CIDR blocks
   * @param header ForwardedHeader
   * @throws {TypeError} for an entry that is not an address or block (config checked it)
   */
  constructor(trusted: readonly string[], header: ForwardedHeader) {
    this.#trusted = new IpAllowList(trusted);
    this.#header = header;
  }

  /** Whether an address is a trusted proxy. */
  trusts(ip: string): boolean {
    return this.#trusted.allows(ip);
  }

  /**
   * The client of a request arriving from `peer` with these fields: `peer` itself unless it is
   * a trusted proxy that names another address.
   */
  resolve(peer: Peer, headers: FieldList): Peer {
    if (this.#header === "off" || !this.trusts(peer.ip)) return peer;
    const hops = this.#header === "forwarded" ? forwardedFor(headers) : forwardedList(headers);
    let client = peer;
    for (let i = hops.length - 1, n = 0; i >= 0 && n < MAX_HOPS; i--, n++) {
      const hop = parseNode(hops[i]!);
      // Not an address (unknown, an obfuscated name, garbage): the chain cannot be followed
      // further, and the last hop vouched for is the best we know.
      if (hop === null) break;
      client = hop;
      if (!this.trusts(hop.ip)) break;
    }
    return client;
  }
}

/** The elements of every X-Forwarded-For field, in order. */
function forwardedList(headers: FieldList): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.names.length; i++) {
    if (headers.names[i] !== "x-forwarded-for") continue;
    for (const part of headers.values[i]!.split(",")) out.push(part.trim());
  }
  return out;
}

/**
 * The `for=` value of each element of every Forwarded field (RFC 7239 §4), in order; "" for an
 * element without one. Commas and semicolons inside quoted strings do not split.
 */
export function forwardedFor(headers: FieldList): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.names.length; i++) {
    if (headers.names[i] !== "forwarded") continue;
    for (const element of splitOutsideQuotes(headers.values[i]!, ",")) {
      let value = "";
      for (const pair of splitOutsideQuotes(element, ";")) {
        const eq = pair.indexOf("=");
        if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === "for") {
          value = unquote(pair.slice(eq + 1).trim());
        }
      }
      out.push(value);
    }
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function unquote(v: string): string {
  if (v.length < 2 || v[0] !== '"' || v[v.length - 1] !== '"') return v;
  return v.slice(1, -1).replace(/\\(.)/g, "$1");
}

/**
 * A hop as an address with an optional port: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`,
 * `[2001:db8::1]` or `[2001:db8::1]:80`; null for anything else. The port is 0 when not given.
 * @example
 * parseNode("[2001:DB8::1]:4711"); // { ip: "2001:db8::1", port: 4711 }
 */
export function parseNode(text: string): Peer | null {
  let host = text;
  let port = 0;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (rest[0] !== ":") return null;
      const p = portOf(rest.slice(1));
      if (p === null) return null;
      port = p;
    }
  } else if (text.indexOf(":") > 0 && text.indexOf(":") === text.lastIndexOf(":")) {
    const colon = text.indexOf(":"); // IPv4 with a port (IPv6 has more than one colon)
    const p = portOf(text.slice(colon + 1));
    if (p === null) return null;
    host = text.slice(0, colon);
    port = p;
  }
  if (host.includes("%")) return null; // a zone means nothing on another host
  const ip = canonicalIp(host);
  return ip === null ? null : { ip, port };
}

function portOf(s: string): number | null {
  const n = decimal(s, 5);
  return n !== null && n <= 65535 ? n : null;
}
