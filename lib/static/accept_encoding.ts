/**
 * Accept-Encoding (RFC 9110 §12.5.3): parse codings and their q-values, and rank the codings
 * the server can offer for a response. Pure.
 *
 * ```
 * Accept-Encoding = #( codings [ weight ] )
 * codings         = content-coding / "identity" / "*"
 * weight          = OWS ";" OWS "q=" qvalue
 * qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 * ```
 *
 * Decisions:
 * - q-values are kept in thousandths (integers), read with a digit loop; an element with a
 *   malformed q-value or coding is skipped, the rest of the field still counts.
 * - A coding listed twice keeps its first weight. `x-gzip` counts as `gzip` (§8.4.1.3).
 * - No Accept-Encoding field: identity only. The RFC allows any coding then, but clients that
 *   send no field (curl, scripts) expect the bytes as stored, as nginx and Apache assume.
 * - identity is acceptable unless `identity;q=0`, or `*;q=0` with no `identity` entry. When
 *   nothing is acceptable the caller still sends identity (the RFC lets a server disregard the
 *   field instead of answering 406).
 * - At equal q a coding beats identity (smaller transfer), and the server's order breaks ties.
 *
 * @module
 */

import { TCHAR, trimOws } from "../http/chars.ts";

/** Weight of a coding in thousandths: 1000 = q=1, 0 = not acceptable. */
export type QValue = number;

const Q_ONE = 1000;

/**
 * Parse an Accept-Encoding value into coding (lower case) -> weight in thousandths.
 * @example
 * ```ts
 * parseAcceptEncoding("gzip;q=0.5, br, identity;q=0"); // Map {gzip=>500, br=>1000, identity=>0}
 * ```
 */
export function parseAcceptEncoding(value: string): Map<string, QValue> {
  const out = new Map<string, QValue>();
  for (const element of value.split(",")) {
    const parts = element.split(";");
    let coding = trimOws(parts[0]!).toLowerCase();
    if (coding === "" || !isToken(coding)) continue;
    if (coding === "x-gzip") coding = "gzip";
    let q: QValue | null = Q_ONE;
    for (const param of parts.slice(1)) {
      const p = trimOws(param);
      if (p.length < 2 || p[1] !== "=" || (p[0] !== "q" && p[0] !== "Q")) q = null;
      else q = parseQValue(p.slice(2));
      if (q === null) break;
    }
    if (q !== null && !out.has(coding)) out.set(coding, q);
  }
  return out;
}

/**
 * Parse a qvalue into thousandths: "1" -> 1000, "0.5" -> 500, "0.001" -> 1.
 * @returns the weight, or null when the text is not a qvalue (e.g. "1.5", "0.0001", ".5")
 */
export function parseQValue(s: string): QValue | null {
  if (s.length === 0 || s.length > 5 || (s[0] !== "0" && s[0] !== "1")) return null;
  if (s.length > 1 && s[1] !== ".") return null;
  let q = s[0] === "1" ? Q_ONE : 0;
  let scale = 100;
  for (let i = 2; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    q += d * scale;
    scale /= 10;
  }
  return q > Q_ONE ? null : q;
}

/**
 * The codings of `offered` the client accepts at least as much as identity, best first.
 * @param header the Accept-Encoding value, undefined when absent
 * @param offered codings the server could send, in its order of preference (e.g. br, gzip)
 * @returns acceptable codings, highest weight first; [] means send identity
 * @example
 * ```ts
 * rankEncodings("gzip, br;q=0.8", ["br", "gzip"]); // ["gzip", "br"]
 * rankEncodings(undefined, ["br", "gzip"]); // []
 * ```
 */
export function rankEncodings(header: string | undefined, offered: readonly string[]): string[] {
  if (header === undefined) return [];
  const weights = parseAcceptEncoding(header);
  const star = weights.get("*");
  const identity = weights.get("identity") ?? (star === 0 ? 0 : Math.min(star ?? Q_ONE, Q_ONE));
  const ranked: Array<{ coding: string; q: QValue; order: number }> = [];
  offered.forEach((coding, order) => {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > 0 && q >= identity) ranked.push({ coding, q, order });
  });
  ranked.sort((a, b) => b.q - a.q || a.order - b.order);
  return ranked.map((r) => r.coding);
}

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || TCHAR[c] !== 1) return false;
  }
  return true;
}
