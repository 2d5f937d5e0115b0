/**
 * The PROXY protocol header a load balancer sends before the client's bytes (haproxy
 * `send-proxy` = v1, `send-proxy-v2` = v2; spec: haproxy's doc/proxy-protocol.txt), read by an
 * incremental state machine: `feed()` takes the bytes as they arrive, keeps at most the few it
 * still needs (a v1 line, v2 addresses), and says need-more, done (with the client's address and
 * how much of the last chunk the header used) or error. Pure: no Deno.*, no I/O.
 *
 * ```
 * v1:  "PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n"       (at most 107 bytes)
 *      "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n"
 *      "PROXY UNKNOWN[ anything]\r\n"                           (keep the connection's address)
 * v2:  \r\n\r\n\0\r\nQUIT\n  ver|cmd  fam|proto  len(2, big-endian)  addresses  TLVs
 *      12 bytes signature    0x21=PROXY 0x11=TCP4 (12 address bytes: src, dst, sport, dport)
 *                            0x20=LOCAL 0x21=TCP6 (36 address bytes)
 *                                       other families: addresses ignored
 * ```
 * @module
 */

import ipaddr from "ipaddr.js";
import type { Peer } from "./request.ts";

/** What a fed chunk gave. */
export type ProxyResult =
  | { readonly kind: "need-more" }
  | {
    readonly kind: "done";
    /** Bytes of the last chunk that belonged to the header; the rest is the client's. */
    readonly consumed: number;
    /** The client's address, or null: keep the connection's (LOCAL, UNKNOWN, other families). */
    readonly source: Peer | null;
  }
  | { readonly kind: "error"; readonly reason: string };

/** The v1 line's longest form, CRLF included (spec §2.1). */
export const V1_MAX_BYTES = 107;
const V1_SIG = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const V2_FIXED = 16;
const NEED_MORE: ProxyResult = { kind: "need-more" };

type State = "start" | "v1-sig" | "v1-line" | "v1-lf" | "v2-sig" | "v2-head" | "v2-body" | "end";

/** Reads one PROXY protocol header (v1 or v2). */
export class ProxyHeaderParser {
  readonly #maxV2: number;
  #state: State = "start";
  /** Bytes matched of a signature, of the v2 fixed part, or of the v2 body. */
  #n = 0;
  /** The v1 line after "PROXY " (bounded by V1_MAX_BYTES). */
  #line = "";
  readonly #head = new Uint8Array(4);
  /** v2: address bytes kept (12 or 36), then bytes to skip (TLVs). */
  #addr: Uint8Array = new Uint8Array(0);
  #bodyLength = 0;

  /** @param maxV2Bytes the longest v2 header accepted, its 16 fixed bytes included */
  constructor(maxV2Bytes: number) {
    this.#maxV2 = maxV2Bytes;
  }

  /** Feed the next bytes of the connection (never the same byte twice). */
  feed(chunk: Uint8Array): ProxyResult {
    let i = 0;
    while (i < chunk.length) {
      const b = chunk[i]!;
      switch (this.#state) {
        case "start":
          if (b === V1_SIG[0]) this.#state = "v1-sig";
          else if (b === V2_SIG[0]) this.#state = "v2-sig";
          else return this.#fail("the connection does not start with a PROXY protocol header");
          this.#n = 1;
          i++;
          break;
        case "v1-sig":
          if (b !== V1_SIG[this.#n]) return this.#fail("not a PROXY protocol v1 signature");
          if (++this.#n === V1_SIG.length) this.#state = "v1-line";
          i++;
          break;
        case "v1-line":
          if (V1_SIG.length + this.#line.length + 2 > V1_MAX_BYTES) {
            return this.#fail(`a v1 header longer than ${V1_MAX_BYTES} bytes`);
          }
          if (b === 0x0d) this.#state = "v1-lf";
          else if (b < 0x20 || b > 0x7e) return this.#fail("a v1 header with a control byte");
          else this.#line += String.fromCharCode(b);
          i++;
          break;
        case "v1-lf": {
          if (b !== 0x0a) return this.#fail("a v1 header not ended by CRLF");
          this.#state = "end";
          const source = parseV1(this.#line);
          return typeof source === "string"
            ? this.#fail(source)
            : { kind: "done", consumed: i + 1, source };
        }
        case "v2-sig":
          if (b !== V2_SIG[this.#n]) return this.#fail("not a PROXY protocol v2 signature");
          if (++this.#n === V2_SIG.length) {
            this.#state = "v2-head";
            this.#n = 0;
          }
          i++;
          break;
        case "v2-head": {
          this.#head[this.#n++] = b;
          i++;
          if (this.#n < 4) break;
          const problem = this.#startBody();
          if (problem !== null) return this.#fail(problem);
          if (this.#bodyLength === 0) return this.#finishV2(i);
          break;
        }
        case "v2-body": {
          const take = Math.min(chunk.length - i, this.#bodyLength - this.#n);
          const keep = Math.min(take, Math.max(0, this.#addr.length - this.#n));
          if (keep > 0) this.#addr.set(chunk.subarray(i, i + keep), this.#n);
          this.#n += take;
          i += take;
          if (this.#n === this.#bodyLength) return this.#finishV2(i);
          break;
        }
        case "end":
          return this.#fail("the header was read already");
      }
    }
    return NEED_MORE;
  }

  #fail(reason: string): ProxyResult {
    this.#state = "end";
    return { kind: "error", reason };
  }

  /** The 4 bytes after the v2 signature: version, command, family, length. */
  #startBody(): string | null {
    const [verCmd, fam, hi, lo] = this.#head;
    if (verCmd! >> 4 !== 2) return `PROXY protocol version ${verCmd! >> 4} (expected 2)`;
    const cmd = verCmd! & 0xf;
    if (cmd > 1) return `unknown v2 command ${cmd}`;
    this.#bodyLength = (hi! << 8) | lo!;
    if (V2_FIXED + this.#bodyLength > this.#maxV2) {
      return `a v2 header of ${V2_FIXED + this.#bodyLength} bytes (at most ${this.#maxV2})`;
    }
    // Only a PROXY command over TCP carries an address we use (LOCAL: a health check by the
    // balancer itself; UDP, UNIX and UNSPEC: keep the connection's address, as the spec says).
    const need = cmd === 1 && fam === 0x11 ? 12 : cmd === 1 && fam === 0x21 ? 36 : 0;
    if (this.#bodyLength < need) return `a v2 header too short for its addresses`;
    this.#addr = new Uint8Array(need);
    this.#state = "v2-body";
    this.#n = 0;
    return null;
  }

  #finishV2(consumed: number): ProxyResult {
    this.#state = "end";
    const a = this.#addr;
    if (a.length === 12) {
      return {
        kind: "done",
        consumed,
        source: { ip: a.subarray(0, 4).join("."), port: port(a, 8) },
      };
    }
    if (a.length === 36) {
      const ip = ipv6Text(ipaddr.fromByteArray(Array.from(a.subarray(0, 16))) as ipaddr.IPv6);
      return { kind: "done", consumed, source: { ip, port: port(a, 32) } };
    }
    return { kind: "done", consumed, source: null };
  }
}

function port(a: Uint8Array, at: number): number {
  return (a[at]! << 8) | a[at + 1]!;
}

/** The client of a v1 line (after "PROXY ", before CRLF), null for UNKNOWN, or the problem. */
function parseV1(line: string): Peer | null | string {
  if (line === "UNKNOWN" || line.startsWith("UNKNOWN ")) return null;
  const parts = line.split(" ");
  if (parts.length !== 5) return `a malformed v1 header "PROXY ${line}"`;
  const [proto, src, dst, sport, dport] = parts as [string, string, string, string, string];
  const v4 = proto === "TCP4";
  if (!v4 && proto !== "TCP6") return `an unknown v1 protocol "${proto}"`;
  const valid = v4 ? (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s) : isPlainIpv6;
  if (!valid(src) || !valid(dst)) return `a v1 header with a bad ${proto} address`;
  const sp = v1Port(sport);
  if (sp === null || v1Port(dport) === null) return `a v1 header with a bad port`;
  return { ip: v4 ? src : ipv6Text(ipaddr.IPv6.parse(src)), port: sp };
}

/** RFC 5952 text of an IPv6 address; an IPv4-mapped one as the IPv4 address it maps. */
function ipv6Text(a: ipaddr.IPv6): string {
  return a.isIPv4MappedAddress() ? a.toIPv4Address().toString() : a.toString();
}

/** IPv6 text without brackets or zone. */
function isPlainIpv6(s: string): boolean {
  return s.includes(":") && !s.includes("%") && ipaddr.IPv6.isValid(s);
}

/** A decimal port 0..65535 without leading zeros, or null. */
function v1Port(s: string): number | null {
  if (s.length === 0 || s.length > 5 || (s.length > 1 && s[0] === "0")) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : null;
}
