/**
 * `--hash-password` on a terminal: a prompt on stderr and the password read with echo off
 * (raw mode), typed twice, as `htpasswd` does. The keys are interpreted by a pure line editor
 * (Enter ends, Backspace deletes a character, Ctrl-U the line, Ctrl-C cancels, arrow keys and
 * other escape sequences are ignored). Standard input that is not a terminal is read as it is
 * (see password_file.ts `passwordFromInput`).
 * @module
 */

/** What the keys typed so far amount to. */
export type KeysResult = "more" | "done" | "cancel";

/** The line editor of a password prompt: feed it the bytes a raw terminal sends. */
export class PasswordKeys {
  /** The password's UTF-8 bytes so far. */
  readonly bytes: number[] = [];
  #escape: "none" | "start" | "sequence" = "none";
  #result: KeysResult = "more";

  /** Take typed bytes; bytes after Enter or Ctrl-C are ignored. */
  feed(chunk: Uint8Array): KeysResult {
    for (const b of chunk) {
      if (this.#result !== "more") break;
      this.#key(b);
    }
    return this.#result;
  }

  #key(b: number): void {
    if (this.#escape === "start") { // ESC [ ... or ESC O x: a cursor key and such
      this.#escape = b === 0x5b || b === 0x4f ? "sequence" : "none";
      return;
    }
    if (this.#escape === "sequence") {
      if (b >= 0x40 && b <= 0x7e) this.#escape = "none";
      return;
    }
    if (b === 0x0d || b === 0x0a) this.#result = "done";
    else if (b === 0x03) this.#result = "cancel";
    else if (b === 0x04) this.#result = this.bytes.length === 0 ? "cancel" : "done";
    else if (b === 0x7f || b === 0x08) this.#deleteLast();
    else if (b === 0x15) this.bytes.length = 0;
    else if (b === 0x1b) this.#escape = "start";
    else if (b >= 0x20) this.bytes.push(b); // other control keys mean nothing here
  }

  /** Delete the last character: its UTF-8 continuation bytes and its lead byte. */
  #deleteLast(): void {
    while (this.bytes.length > 0 && (this.bytes[this.bytes.length - 1]! & 0xc0) === 0x80) {
      this.bytes.pop();
    }
    this.bytes.pop();
  }
}

const encoder = new TextEncoder();

/**
 * Ask for a password on the terminal with echo off. Echo goes off before the prompt is shown,
 * so nothing typed after it appears. Restores the terminal whatever happens.
 * @returns the typed bytes
 * @throws {Error} when cancelled (Ctrl-C, Ctrl-D on an empty line, end of input)
 */
export async function promptPassword(prompt: string): Promise<Uint8Array> {
  const keys = new PasswordKeys();
  const buf = new Uint8Array(256);
  Deno.stdin.setRaw(true);
  try {
    Deno.stderr.writeSync(encoder.encode(prompt));
    for (;;) {
      const n = await Deno.stdin.read(buf);
      const r = n === null ? "cancel" : keys.feed(buf.subarray(0, n));
      if (r === "cancel") throw new Error("Cannot hash a password: cancelled");
      if (r === "done") return Uint8Array.from(keys.bytes);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}

/**
 * The password for `user`, typed twice on the terminal.
 * @throws {Error} when cancelled or when the two differ
 */
export async function passwordFromTerminal(user: string): Promise<Uint8Array> {
  const first = await promptPassword(`New password for ${user}: `);
  const again = await promptPassword(`Retype the password for ${user}: `);
  if (first.length !== again.length || first.some((b, i) => b !== again[i])) {
    throw new Error("Cannot hash a password: the two passwords differ");
  }
  return first;
}
