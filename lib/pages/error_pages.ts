/**
 * Error page rendering: `error/<status>.html` templates are loaded once at
 * start-up (nginx `error_page`, serve-handler's custom 404) and filled in per
 * response. Every substituted value is HTML-escaped, so client-derived text in
 * a message can never inject markup (std 0.100's 400 page echoed raw input).
 *
 * Placeholders (all optional in a template): `{{status}}`, `{{reason}}`,
 * `{{message}}`, `{{server}}`. Substitution is a single pass, so a value that
 * itself contains `{{...}}` is never expanded again. Unknown `{{...}}` tokens
 * are left untouched.
 *
 * Pure except for the file reader injected into {@linkcode loadErrorTemplates}.
 *
 * @module
 */

import { join } from "node:path";
import { escapeHtml } from "./html.ts";

/** Renders the body of an error response. */
export interface ErrorPageSet {
  /**
   * Renders the page for `status`.
   *
   * @param status The response status code, e.g. `404`.
   * @param reason The reason phrase, e.g. `"Not Found"`.
   * @param opts `message`: an extra sentence for the reader (escaped, may be
   *   empty); `server`: the product name shown in the footer (escaped,
   *   defaults to `"httpserver"`).
   * @returns A complete HTML5 document. Never throws.
   */
  render(status: number, reason: string, opts?: { message?: string; server?: string }): string;
}

/** Footer product name used when the caller does not pass one. */
export const DEFAULT_SERVER_NAME = "httpserver";

/** Lowest and highest status codes that may have an error page template. */
export const ERROR_PAGE_MIN_STATUS = 300;
export const ERROR_PAGE_MAX_STATUS = 599;

const PLACEHOLDER = /\{\{(status|reason|message|server)\}\}/g;

type Values = Readonly<Record<"status" | "reason" | "message" | "server", string>>;

/** Single-pass replacement of the known placeholders with already-escaped values. */
function fill(template: string, values: Values): string {
  return template.replace(PLACEHOLDER, (_m, key: keyof Values) => values[key]);
}

/**
 * The page used when no template exists for a status: valid HTML5, no
 * external resources (it must render even when every other file is missing).
 */
const FALLBACK_TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{status}} {{reason}}</title>
<style>
body{margin:0;padding:12vh 1.5rem;font:16px/1.5 system-ui,sans-serif;color:#1f2933;background:#f5f7fa}
main{max-width:36rem;margin:0 auto}
h1{margin:0;font-size:1.6rem}
.code{display:block;font-size:3.5rem;font-weight:700;color:#7b8794;line-height:1}
.message:empty{display:none}
footer{margin-top:2.5rem;color:#7b8794;font-size:.85rem}
</style>
</head>
<body>
<main>
<h1><span class="code">{{status}}</span> {{reason}}</h1>
<p class="message">{{message}}</p>
<footer>{{server}}</footer>
</main>
</body>
</html>
`;

/**
 * Builds the renderer over a fixed set of templates (status -> HTML text).
 *
 * @param templates Usually the result of {@linkcode loadErrorTemplates}.
 *   The map is copied, so later changes to it have no effect.
 * @returns An {@linkcode ErrorPageSet}.
 * @example
 * ```ts
 * const pages = buildErrorPages(new Map([[404, "<h1>{{status}} {{reason}}</h1>"]]));
 * pages.render(404, "Not Found"); // "<h1>404 Not Found</h1>"
 * ```
 */
export function buildErrorPages(templates: ReadonlyMap<number, string>): ErrorPageSet {
  const byStatus = new Map(templates);
  return {
    render(status, reason, opts = {}) {
      const values: Values = {
        status: escapeHtml(String(status)),
        reason: escapeHtml(String(reason)),
        message: escapeHtml(String(opts.message ?? "")),
        server: escapeHtml(String(opts.server ?? DEFAULT_SERVER_NAME)),
      };
      return fill(byStatus.get(status) ?? FALLBACK_TEMPLATE, values);
    },
  };
}

/**
 * Parses an override key such as `"404"`: exactly three ASCII digits within
 * the error-page range. Digit loop, not `parseInt` (which accepts `"4zz"`).
 *
 * @returns The status, or `null` when the key is not a valid status.
 */
function parseStatusKey(key: string): number | null {
  if (key.length !== 3) return null;
  let value = 0;
  for (let i = 0; i < key.length; i++) {
    const digit = key.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  if (value < ERROR_PAGE_MIN_STATUS || value > ERROR_PAGE_MAX_STATUS) return null;
  return value;
}

/**
 * Loads `<dir>/<code>.html` for every code from 300 to 599 that exists, then
 * applies the per-status overrides in `extra`, which win over the directory.
 *
 * @param dir Directory holding the templates, e.g. `"error"`.
 * @param extra Status (as a string, e.g. `"404"`) -> path of a template file.
 * @param read Returns the file's text, or `null` when it does not exist. The
 *   caller passes a wrapper around `Deno.readTextFileSync`; other errors
 *   (e.g. permission denied) should be thrown by `read` so start-up fails.
 * @returns A new map status -> template text.
 * @throws {RangeError} If a key of `extra` is not a status from 300 to 599.
 * @throws {Error} If a file named in `extra` does not exist.
 * @example
 * ```ts
 * const read = (p: string) => { try { return Deno.readTextFileSync(p); }
 *   catch (e) { if (e instanceof Deno.errors.NotFound) return null; throw e; } };
 * const pages = buildErrorPages(loadErrorTemplates("error", {}, read));
 * ```
 */
export function loadErrorTemplates(
  dir: string,
  extra: Readonly<Record<string, string>>,
  read: (path: string) => string | null,
): Map<number, string> {
  const templates = new Map<number, string>();
  for (let status = ERROR_PAGE_MIN_STATUS; status <= ERROR_PAGE_MAX_STATUS; status++) {
    const text = read(join(dir, `${status}.html`));
    if (text !== null) templates.set(status, text);
  }
  for (const [key, path] of Object.entries(extra)) {
    const status = parseStatusKey(key);
    if (status === null) {
      throw new RangeError(
        `Cannot load error page override "${key}": expected a status from ` +
          `${ERROR_PAGE_MIN_STATUS} to ${ERROR_PAGE_MAX_STATUS}`,
      );
    }
    const text = read(path);
    if (text === null) {
      throw new Error(`Cannot load error page for status ${status}: file "${path}" not found`);
    }
    templates.set(status, text);
  }
  return templates;
}
