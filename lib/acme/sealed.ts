/**
 * Values sealed for the shared store (memcached has no access control): AES-256-GCM under a key
 * derived with HKDF-SHA-256 from the session secret, which the instances of a cluster share
 * already, with what the value is for (a token, a set of names) as additional data so a sealed
 * value cannot be replayed under another key. WebCrypto only (the platform's).
 *
 * ```
 *   v1.<iv, 12 bytes, base64>.<ciphertext and tag, base64>
 * ```
 * @module
 */

const utf8 = new TextEncoder();
const VERSION = "v1.";

/** Seals and opens values with one secret. */
export class Sealer {
  readonly #key: Promise<CryptoKey>;

  /** @param secret the session secret (SessionKey or SessionKeyFile) */
  constructor(secret: string) {
    this.#key = (async () => {
      const base = await crypto.subtle.importKey("raw", utf8.encode(secret), "HKDF", false, [
        "deriveKey",
      ]);
      return await crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: utf8.encode("httpserver acme v1"),
          info: utf8.encode("values in the shared store"),
        },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
  }

  /** `text` sealed; `context` must be given again to open it. */
  async seal(text: string, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8.encode(context) },
      await this.#key,
      utf8.encode(text),
    );
    return `${VERSION}${iv.toBase64()}.${new Uint8Array(data).toBase64()}`;
  }

  /** The text, or null when the value was not sealed with this secret and context (or is damaged). */
  async open(sealed: string, context: string): Promise<string | null> {
    if (!sealed.startsWith(VERSION)) return null;
    const [iv, data, extra] = sealed.slice(VERSION.length).split(".");
    if (iv === undefined || data === undefined || extra !== undefined) return null;
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: Uint8Array.fromBase64(iv), additionalData: utf8.encode(context) },
        await this.#key,
        Uint8Array.fromBase64(data),
      );
      return new TextDecoder().decode(plain);
    } catch {
      return null;
    }
  }
}
