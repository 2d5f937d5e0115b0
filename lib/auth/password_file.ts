/**
 * The PasswordFile: one `user:hash` line per user, hashes from PBKDF2-HMAC-SHA-256 via WebCrypto
 * (no plaintext, no bcrypt dependency). Pure apart from WebCrypto; the caller reads the file.
 *
 * ```
 * # comment lines and blank lines are ignored
 * alice:pbkdf2-sha256$600000$<salt, base64>$<derived key, base64>
 * ```
 *
 * Decisions:
 * - New hashes use 600 000 iterations (OWASP 2023 for PBKDF2-HMAC-SHA-256), 16-byte random salt,
 *   32-byte key. Lines with fewer than 210 000 iterations are refused when the file is read, so
 *   a weak line cannot slip in; more than 10 000 000 is refused too (each check would stall).
 * - Numbers are read with a digit loop; base64 is checked strictly (padding, alphabet).
 * - A user name is 1 or more visible ASCII characters other than ":" (same rule as
 *   `--hash-password`); a user listed twice is an error rather than "last one wins".
 * @module
 */

/** The hash scheme written at the start of each hash. */
export const PASSWORD_SCHEME = "pbkdf2-sha256";
/** Fewest PBKDF2 iterations accepted in a PasswordFile line. */
export const PBKDF2_MIN_ITERATIONS = 210_000;
/** Iterations used for new hashes. */
export const PBKDF2_DEFAULT_ITERATIONS = 600_000;
/** Most PBKDF2 iterations accepted (bounds the cost of one check). */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
/** Salt length of new hashes, in bytes. */
export const SALT_BYTES = 16;
/** Derived key length, in bytes. */
export const HASH_BYTES = 32;

/** A parsed hash: PBKDF2 parameters and the derived key. */
export interface PasswordHash {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

const USER_RE = /^[\x21-\x39\x3b-\x7e]+$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();

/** Whether a user name can appear in the PasswordFile. */
export function isValidUser(user: string): boolean {
  return USER_RE.test(user);
}

/**
 * Parse `pbkdf2-sha256$ITER$SALT$HASH`.
 * @returns the hash, or null when malformed or outside the accepted iteration range
 */
export function parsePasswordHash(text: string): PasswordHash | null {
  const parts = text.split("$");
  if (parts.length !== 4 || parts[0] !== PASSWORD_SCHEME) return null;
  const iterations = parseIterations(parts[1]!);
  const salt = decodeBase64(parts[2]!);
  const hash = decodeBase64(parts[3]!);
  if (iterations === null || salt === null || hash === null) return null;
  if (salt.length < 8 || hash.length !== HASH_BYTES) return null;
  return { iterations, salt, hash };
}

/** Format a hash as it is written in the PasswordFile. */
export function formatPasswordHash(h: PasswordHash): string {
  return `${PASSWORD_SCHEME}$${h.iterations}$${h.salt.toBase64()}$${h.hash.toBase64()}`;
}

/**
 * Parse a PasswordFile.
 * @returns user -> hash
 * @throws {SyntaxError} naming the first bad line
 * @example
 * ```ts
 * parsePasswordFile("# writers\nalice:pbkdf2-sha256$600000$c2FsdHNhbHQ=$...\n");
 * ```
 */
export function parsePasswordFile(text: string): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const user = colon < 0 ? "" : line.slice(0, colon);
    const fail = (why: string) =>
      new SyntaxError(`Cannot read the password file: line ${i + 1}: ${why}`);
    if (!isValidUser(user)) throw fail(`expected "user:${PASSWORD_SCHEME}$..."`);
    if (users.has(user)) throw fail(`user "${user}" is listed twice`);
    const hash = parsePasswordHash(line.slice(colon + 1));
    if (hash === null) {
      throw fail(
        `expected a ${PASSWORD_SCHEME} hash with ${PBKDF2_MIN_ITERATIONS} to ` +
          `${PBKDF2_MAX_ITERATIONS} iterations (make one with --hash-password)`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

/** Hash a password with a fresh salt (or the given one, for tests). */
export async function hashPassword(
  password: string,
  opts: { readonly iterations?: number; readonly salt?: Uint8Array } = {},
): Promise<PasswordHash> {
  const iterations = opts.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
  const salt = opts.salt ?? crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return { iterations, salt, hash: await pbkdf2(password, salt, iterations) };
}

/** Whether a password matches a hash (the key comparison takes the same time for any key). */
export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  return timingSafeEqual(await pbkdf2(password, h.salt, h.iterations), h.hash);
}

/**
 * A PasswordFile line for a user (what `--hash-password USER` prints).
 * @throws {TypeError} for a user name the file cannot hold
 */
export async function passwordLine(
  user: string,
  password: string,
  opts: { readonly iterations?: number } = {},
): Promise<string> {
  if (!isValidUser(user)) {
    throw new TypeError(`Cannot hash a password for "${user}": expected no ":" or spaces`);
  }
  return `${user}:${formatPasswordHash(await hashPassword(password, opts))}`;
}

/**
 * The password typed on standard input: UTF-8, one trailing newline removed.
 * @throws {TypeError} when the input is empty or not UTF-8
 */
export function passwordFromInput(input: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new TypeError("Cannot read the password: standard input is not UTF-8");
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new TypeError("Cannot hash an empty password");
  return password;
}

/** Compare two byte arrays in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false; // lengths are public (always HASH_BYTES here)
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

function parseIterations(s: string): number | null {
  if (s.length === 0 || s.length > 9 || s[0] === "0") return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n >= PBKDF2_MIN_ITERATIONS && n <= PBKDF2_MAX_ITERATIONS ? n : null;
}

/**
 * Strict standard base64 (padding required) -> bytes; null when malformed or empty. The
 * pattern rules out what the built-in decoder would let through (whitespace, missing padding).
 */
export function decodeBase64(s: string): Uint8Array | null {
  if (s.length === 0 || !BASE64_RE.test(s)) return null;
  return Uint8Array.fromBase64(s);
}
