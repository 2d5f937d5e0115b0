/**
 * An ordered list of header fields with case-insensitive lookup.
 *
 * Duplicates are kept in arrival order; list-valued fields are combined with ", " on request
 * (RFC 9110 §5.3).
 * @module
 */

import { trimOws } from "./chars.ts";

/** Header fields of a request, names lower-cased. */
export class FieldList {
  readonly names: string[] = [];
  readonly values: string[] = [];

  /** Append a field (name must already be lower case). */
  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }

  /** Number of fields. */
  get size(): number {
    return this.names.length;
  }

  /** First value of a field, or undefined. */
  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  /** How many times a field occurs. */
  count(name: string): number {
    let n = 0;
    for (const x of this.names) if (x === name) n++;
    return n;
  }

  /** All values of a field combined as one list value (RFC 9110 §5.3), or undefined. */
  combined(name: string): string | undefined {
    let out: string | undefined;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] === name) {
        out = out === undefined ? this.values[i]! : `${out}, ${this.values[i]}`;
      }
    }
    return out;
  }

  /** Whether a comma-separated field contains a token, case-insensitively (e.g. Connection: close). */
  hasToken(name: string, token: string): boolean {
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] === name && listHasToken(this.values[i]!, token)) return true;
    }
    return false;
  }
}

/**
 * Whether a #list value (RFC 9110 §5.6.1) has `token` (given in lower case) as an element,
 * ignoring case and optional whitespace. Scans in place: no array, no substrings (it runs for
 * the Connection field of every request).
 */
export function listHasToken(value: string, token: string): boolean {
  const n = value.length;
  let i = 0;
  while (i < n) {
    let c = value.charCodeAt(i);
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && value.charCodeAt(i) !== 0x2c) i++;
    let end = i;
    while (end > start && ((c = value.charCodeAt(end - 1)) === 0x20 || c === 0x09)) end--;
    if (end - start === token.length && sameIgnoringCase(value, start, token)) return true;
  }
  return false;
}

/** Whether value[start, start + token.length) equals the lower-case `token`, ASCII case-folded. */
function sameIgnoringCase(value: string, start: number, token: string): boolean {
  for (let k = 0; k < token.length; k++) {
    let c = value.charCodeAt(start + k);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== token.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Split a #list value into non-empty elements, each without surrounding OWS (SP, HTAB: RFC 9110
 * §5.6.1); any other byte, NBSP included, stays part of the element.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const t = trimOws(part);
    if (t !== "") out.push(t);
  }
  return out;
}
