/**
 * How ACME's error.log lines spell an error, a time and a wait (pure).
 * @module
 */

/**
 * An error as one line of at most 500 characters (a CA's problem document may span lines).
 * @example oneLine(new Error("a\n  b")); // "a b"
 */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 500 ? `${line.slice(0, 500)}...` : line;
}

/**
 * A time as ISO 8601 UTC, to the second.
 * @example iso(0); // "1970-01-01T00:00:00Z"
 */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A wait in the largest whole unit.
 * @example waitText(600_000); // "10m"
 */
export function waitText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}
