/**
 * INI text -> ordered entries with line numbers (pure).
 *
 * npm:ini's `parse` drops line numbers, silently keeps the last of two duplicate keys, skips
 * lines it cannot read, turns `true`/`null` into non-strings and `[a.b]` into nested objects.
 * So the line structure is read here, strictly, and each key and value is decoded with
 * npm:ini's own `unsafe()` so that quoting and `;`/`#` inline comments behave exactly as
 * npm:ini documents them.
 *
 * ```ini
 * ; comment           # comment too
 * Key = value ; inline comment
 * [Section]
 * other = "quoted ; value"
 * ```
 *
 * @module
 */

// @ts-types="@types/ini"
import ini from "ini";

/** One `key = value` line. */
export interface IniEntry {
  /** Section the line is in; `null` before the first section header. */
  readonly section: string | null;
  /** Key, decoded by npm:ini (trimmed, unquoted). */
  readonly key: string;
  /** Value, decoded by npm:ini (trimmed, unquoted, inline comment removed). */
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

/** One `[Section]` header line. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
}

/** Result of {@linkcode scanIni}: the document, or the first syntax error. */
export type IniResult =
  | { readonly ok: true; readonly sections: IniSection[]; readonly entries: IniEntry[] }
  | { readonly ok: false; readonly line: number; readonly message: string };

// C0 controls except HT, DEL, and the JS line separators npm:ini's regex cannot cross.
// deno-lint-ignore no-control-regex
const BAD_CHAR = /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/;
const SECTION = /^\[([^\]]*)\]$/;

/**
 * Scan INI text into sections and entries in file order.
 *
 * @param text the whole file; a leading byte-order mark is ignored
 * @returns the entries, or `{ ok: false, line, message }` for the first malformed line
 * @example
 * ```ts
 * const doc = scanIni("Listen = 8080\n[CacheControl]\n*.css = max-age=60\n");
 * // doc.ok && doc.entries[1] -> { section: "CacheControl", key: "*.css", value: "max-age=60", line: 3 }
 * ```
 */
export function scanIni(text: string): IniResult {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  let section: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i] ?? "";
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith(";") || trimmed.startsWith("#")) continue;
    if (BAD_CHAR.test(raw)) return { ok: false, line, message: "control character in line" };
    if (trimmed.startsWith("[")) {
      const m = SECTION.exec(trimmed);
      const name = m?.[1]?.trim() ?? "";
      if (name === "") {
        return {
          ok: false,
          line,
          message: `expected a section header like "[Name]", got ${quote(trimmed)}`,
        };
      }
      sections.push({ name, line });
      section = name;
      continue;
    }
    const eq = raw.indexOf("=");
    const key = eq < 0 ? "" : ini.unsafe(raw.slice(0, eq));
    if (key === "") {
      return { ok: false, line, message: `expected "key = value", got ${quote(trimmed)}` };
    }
    entries.push({ section, key, value: ini.unsafe(raw.slice(eq + 1)), line });
  }
  return { ok: true, sections, entries };
}

/**
 * Quote a value for an error message: JSON string syntax, cut after 60 characters.
 *
 * @param s the text to show
 * @returns `s` as a quoted, escaped string
 */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}
