/**
 * `--check-config`, as `nginx -t` does it: besides the syntax of http.conf, everything start-up
 * would trip over, checked without binding the port and without creating, truncating or
 * writing a log file: DocumentRoot and ErrorPages are readable folders, every error page (and
 * every `[ErrorDocument]` file) can be read, both logs can be opened for appending. PasswordFile
 * and SessionKeyFile are read by the config loading that runs first, as at start. Warnings (the
 * server would start, but a feature would fail) do not fail the check.
 * @module
 */

import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config.ts";
import { checkLogTarget } from "../log/log_writer.ts";
import { loadErrorTemplates } from "../pages/error_pages.ts";

/** Something start-up (or a request) would trip over. */
export interface Problem {
  /** The http.conf key at fault. */
  readonly key: string;
  readonly detail: string;
  /** The server would start, but a feature would not work. */
  readonly warning: boolean;
}

/**
 * Every problem found (none: start-up will not fail for a reason found without binding).
 * @param config the validated config (with command-line overrides)
 */
export async function preflight(config: Config): Promise<Problem[]> {
  const problems: Problem[] = [];
  const fail = (key: string, detail: string) => problems.push({ key, detail, warning: false });
  const warn = (key: string, detail: string) => problems.push({ key, detail, warning: true });
  for (
    const [key, path] of [["DocumentRoot", config.documentRoot], [
      "ErrorPages",
      config.errorPages,
    ]] as const
  ) {
    const why = await unreadableFolder(path);
    if (why !== null) fail(key, `cannot read the folder "${path}": ${why}`);
  }
  try {
    loadErrorTemplates(config.errorPages, config.errorDocuments, (path) => {
      try {
        return Deno.readTextFileSync(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw new Error(`cannot read "${path}": ${message(e)}`);
      }
    });
  } catch (e) {
    const key = Object.values(config.errorDocuments).some((p) => message(e).includes(p))
      ? "ErrorDocument"
      : "ErrorPages";
    fail(key, message(e));
  }
  const logs = [["AccessLog", config.accessLog], ["ErrorLog", config.errorLog]] as const;
  for (const [key, path] of logs) {
    if (path === "") continue;
    const why = await checkLogTarget(path);
    if (why !== null) fail(key, `cannot append to "${path}": ${why}`);
  }
  // Writes are checked per request; a folder the server cannot write makes every PUT fail.
  const writable = [
    ...(config.writeAccess ? [["WriteAccess", config.documentRoot] as const] : []),
    ...config.uploadPaths.map((p) => ["UploadPaths", config.documentRoot + p] as const),
  ];
  for (const [key, folder] of writable) {
    const why = await unwritableFolder(folder);
    if (why !== null) warn(key, `uploads will fail: cannot write in "${folder}": ${why}`);
  }
  return problems;
}

/**
 * Run the check for `--check-config`: print the outcome as nginx does and return the exit code.
 * @param text the http.conf text (to name the line of each key)
 */
export async function checkConfig(
  config: Config,
  text: string,
  print: { out(line: string): void; err(line: string): void },
  name: string,
): Promise<number> {
  const file = config.file ?? "(defaults)";
  print.out(`${name}: the configuration file ${file} syntax is ok`);
  const problems = await preflight(config);
  for (const p of problems) {
    const e = new ConfigError(p.detail, {
      file: config.file,
      line: lineOf(text, p.key),
      key: p.key,
    });
    print.err(`${name}: ${p.warning ? "warning: " : ""}${e.message}`);
  }
  if (problems.some((p) => !p.warning)) {
    print.err(`${name}: configuration file ${file} test failed`);
    return 1;
  }
  print.out(`${name}: configuration file ${file} test is successful`);
  return 0;
}

/** The 1-based line setting `key`, or null. */
function lineOf(text: string, key: string): number | null {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  return i < 0 ? null : i + 1;
}

/** Why a folder cannot be listed, or null when it can. */
async function unreadableFolder(path: string): Promise<string | null> {
  try {
    if (!(await Deno.stat(path)).isDirectory) return "not a folder";
    for await (const _ of Deno.readDir(path)) break;
    return null;
  } catch (e) {
    return message(e);
  }
}

/** Why a file cannot be created in a folder, or null (checked by creating and removing one). */
async function unwritableFolder(path: string): Promise<string | null> {
  try {
    const probe = await Deno.makeTempFile({ dir: path, prefix: ".httpserver-check-" });
    await Deno.remove(probe);
    return null;
  } catch (e) {
    return message(e);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
