/**
 * `[CacheControl]` rules from http.conf, compiled once at start-up: `*.ext` patterns match the
 * file name, patterns starting with "/" match the whole URL path; `*` is a wildcard; the first
 * matching rule wins.
 * @module
 */

/** One rule as the config gives it. */
export interface CacheControlRule {
  readonly pattern: string;
  readonly value: string;
}

/** A compiled rule set: URL path -> Cache-Control value, or null when no rule matches. */
export type CacheControlLookup = (urlPath: string) => string | null;

/**
 * Compile rules into a lookup (each glob becomes one anchored RegExp, built once).
 * @example
 * ```ts
 * const cc = compileCacheRules([{ pattern: "*.css", value: "max-age=3600" }]);
 * cc("/style.css"); // "max-age=3600"
 * cc("/index.html"); // null
 * ```
 */
export function compileCacheRules(rules: ReadonlyArray<CacheControlRule>): CacheControlLookup {
  const compiled = rules.map((r) => ({
    onPath: r.pattern.startsWith("/"),
    re: globToRegExp(r.pattern),
    value: r.value,
  }));
  if (compiled.length === 0) return () => null;
  return (urlPath) => {
    const name = urlPath.slice(urlPath.lastIndexOf("/") + 1);
    for (const r of compiled) if (r.re.test(r.onPath ? urlPath : name)) return r.value;
    return null;
  };
}

/** The first rule matching a URL path (compiles the rules; prefer compileCacheRules). */
export function cacheControlFor(
  rules: ReadonlyArray<CacheControlRule>,
  urlPath: string,
): string | null {
  return compileCacheRules(rules)(urlPath);
}

/** `*` matches any run of characters (including "/"); everything else is literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "s");
}
