/**
 * Read a systemd unit file as systemd does (systemd.syntax(7)), for tests that check what the
 * shipped unit says: sections, repeated keys (a list), an empty assignment clearing a list,
 * backslash line continuations; and the few value syntaxes the tests need (time spans,
 * command lines, word lists).
 * @module
 */

/** A parsed unit: section -> key -> every value assigned, in order. */
export type Unit = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/**
 * Parse unit-file text.
 * @throws {SyntaxError} naming the line, for a line that is neither a section, a comment nor
 *   `Key=Value`, or an assignment before any section
 */
export function parseUnit(text: string): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const at = i + 1;
    let line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i];
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = sections.get(head[1]!) ?? new Map();
      sections.set(head[1]!, section);
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (kv === null) throw new SyntaxError(`Cannot parse unit line ${at}: ${JSON.stringify(line)}`);
    if (section === null) throw new SyntaxError(`Cannot parse unit line ${at}: outside a section`);
    const [, key, value] = kv as unknown as [string, string, string];
    if (value === "") section.set(key, []); // an empty assignment resets the list
    else section.set(key, [...(section.get(key) ?? []), value.trim()]);
  }
  return sections;
}

/** Every value assigned to `key` in `section` (empty when none). */
export function values(unit: Unit, section: string, key: string): readonly string[] {
  return unit.get(section)?.get(key) ?? [];
}

/**
 * The value of a single-valued key (the last assignment wins, as in systemd).
 * @throws {Error} when the key is not set
 */
export function value(unit: Unit, section: string, key: string): string {
  const v = values(unit, section, key).at(-1);
  if (v === undefined) throw new Error(`[${section}] ${key}= is not set`);
  return v;
}

/** Space-separated words (ReadWritePaths=, AmbientCapabilities=, ...). */
export function words(v: string): string[] {
  return v.split(/\s+/).filter((w) => w !== "");
}

/**
 * An Exec*= command line: the prefixes (`-`, `@`, `:`, `+`, `!`) and the words of the
 * command, the program first. Words may be quoted as systemd.syntax(7) allows: in single or
 * double quotes, with backslash escapes of the next character in double quotes; `%%` is a
 * literal `%` (other specifiers are not expanded).
 * @throws {SyntaxError} for an unterminated quote or another specifier
 */
export function command(v: string): { prefixes: string; argv: string[] } {
  const m = /^([-@:+!]*)(.*)$/.exec(v)!;
  const argv: string[] = [];
  let word: string | null = null;
  let quote = "";
  const text = m[2]!;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "" && /\s/.test(c)) {
      if (word !== null) argv.push(word);
      word = null;
    } else if (quote === "" && (c === "'" || c === '"')) {
      quote = c;
      word ??= "";
    } else if (c === quote) {
      quote = "";
    } else if (c === "\\" && quote === '"' && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (c === "%") {
      if (text[i + 1] !== "%") throw new SyntaxError(`Unsupported specifier in: ${v}`);
      word = (word ?? "") + "%";
      i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote !== "") throw new SyntaxError(`Unterminated quote in: ${v}`);
  if (word !== null) argv.push(word);
  return { prefixes: m[1]!, argv };
}

const TIME_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/**
 * A time span (systemd.time(7)) in milliseconds: "30" (seconds), "30s", "1min 30s";
 * "infinity" is Infinity.
 * @throws {SyntaxError} for anything else (a unit it does not know, such as "us" or "d")
 */
export function timespanMs(v: string): number {
  if (v.trim() === "infinity") return Infinity;
  const parts = [...v.matchAll(/\s*(\d+(?:\.\d+)?)\s*([a-z]*)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== v.replace(/\s+$/, "")) {
    throw new SyntaxError(`Cannot parse time span ${JSON.stringify(v)}`);
  }
  let ms = 0;
  for (const [, n, unit] of parts) {
    const scale = unit === "" ? 1000 : TIME_UNITS_MS[unit!];
    if (scale === undefined) throw new SyntaxError(`Cannot parse time span ${JSON.stringify(v)}`);
    ms += Number(n) * scale;
  }
  return ms;
}

/**
 * A resource limit (LimitNOFILE= and the like): the soft limit of "soft:hard", or the single
 * value; "infinity" is Infinity.
 * @throws {SyntaxError} for anything else
 */
export function softLimit(v: string): number {
  const soft = v.split(":")[0]!.trim();
  if (soft === "infinity") return Infinity;
  if (!/^\d+$/.test(soft)) throw new SyntaxError(`Cannot parse limit ${JSON.stringify(v)}`);
  return Number(soft);
}
