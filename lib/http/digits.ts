/**
 * The one decimal-digit reader for protocol numbers (STYLE rule 3): a digit loop that refuses
 * signs, spaces, empty input and anything beyond `maxDigits` or 2^53-1, never parseInt/Number.
 * @module
 */

/**
 * `1*DIGIT` of at most `maxDigits` digits as a number, or null.
 * @example decimal("0042", 4) // 42
 * @example decimal("4zz", 4) // null
 */
export function decimal(s: string, maxDigits: number): number | null {
  if (s.length === 0 || s.length > maxDigits) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : null;
}
