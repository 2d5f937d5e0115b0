/**
 * An ordered list of header fields with case-insensitive lookup.
 *
 * Duplicates are kept in arrival order; list-valued fields are combined with ", " on request
 * (RFC 9110 §5.3).
 * @module
 */

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
      if (this.names[i] !== name) continue;
      for (const t of splitList(this.values[i]!)) if (t.toLowerCase() === token) return true;
    }
    return false;
  }
}

/** Split a #list value into trimmed, non-empty elements (RFC 9110 §5.6.1). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const t = part.trim();
    if (t !== "") out.push(t);
  }
  return out;
}
