/**
 * `deno task conformance URL`: the original project's conformance_test.py for any running
 * server. Every method on every file type, 404, 403, paths out of the root, conditionals and
 * ranges; each request and the response's status line and fields are printed, then whether the
 * answer is right. Exit status 0 when every check passed, 1 when one failed, 2 for bad usage or
 * a server that cannot be reached. What is checked: conformance_checks.ts.
 *
 * ```sh
 * deno task conformance http://127.0.0.1:8080
 * deno task conformance --quiet --paths /a.html,/b.png --forbidden /private/ https://example.test
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_FORBIDDEN, DEFAULT_PATHS, fileChecks, siteChecks } from "./conformance_checks.ts";
import type { Check } from "./conformance_checks.ts";
import { once, type Request, type Response, type Target, targetOf } from "./http_client.ts";

const USAGE = `Usage: deno task conformance [options] URL

Checks a running HTTP/1.1 server the way the original project's conformance_test.py did, and
prints every request with the status line and fields of its response.

Options:
  --paths A,B,...      files to check (default: the bundled site, one file of each type)
  --forbidden PATH     a path the server must answer 403 (default: ${DEFAULT_FORBIDDEN})
  --ca FILE            trust this PEM certificate too (a test server's own CA, for https://)
  -q, --quiet          print only the verdict of each check
  -h, --help           this text
`;

const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

function requestLine(r: Request): string {
  const fields = (r.fields ?? []).map(([k, v]) => `\n  > ${k}: ${v}`).join("");
  const body = r.body === undefined ? "" : `\n  > (${r.body.length} bytes of body)`;
  return `  > ${r.method} ${r.target} HTTP/1.1${
    r.noHost ? " (no Host field)" : ""
  }${fields}${body}`;
}

function responseText(r: Response): string {
  const fields = r.fields.map(([k, v]) => `\n  < ${k}: ${v}`).join("");
  return `  < ${r.statusLine}${fields}\n  < (${r.body.length} bytes of body)`;
}

async function runCheck(t: Target, check: Check, quiet: boolean): Promise<boolean> {
  const responses: Response[] = [];
  const lines: string[] = [];
  let problems: string[];
  try {
    for (const r of check.requests) {
      lines.push(requestLine(r));
      const res = await once(t, r);
      responses.push(res);
      lines.push(responseText(res));
    }
    problems = check.verify(responses);
  } catch (e) {
    problems = [e instanceof Error ? e.message : String(e)];
  }
  const ok = problems.length === 0;
  out(`${ok ? "ok  " : "FAIL"} ${check.name}`);
  if (!quiet || !ok) { for (const l of lines) out(l); }
  for (const p of problems) out(`  ! ${p}`);
  if (!quiet) out("");
  return ok;
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        paths: { type: "string" },
        forbidden: { type: "string" },
        ca: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    out(`${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return out(USAGE), 0;
  if (positionals.length !== 1) return out(USAGE), 2;
  let target: Target;
  try {
    target = targetOf(positionals[0]!);
    if (values.ca !== undefined) {
      target = { ...target, caCerts: [Deno.readTextFileSync(values.ca)] };
    }
  } catch (e) {
    out(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const paths = values.paths?.split(",").filter((p) => p !== "") ?? DEFAULT_PATHS;
  const quiet = values.quiet ?? false;
  let passed = 0;
  let failed = 0;
  const tally = (ok: boolean) => (ok ? passed++ : failed++);
  for (const path of paths) {
    const full = target.base + (path.startsWith("/") ? path : `/${path}`);
    let file: Response;
    try {
      file = await once(target, { method: "GET", target: full });
    } catch (e) {
      out(`cannot reach ${positionals[0]}: ${e instanceof Error ? e.message : e}`);
      return 2;
    }
    if (file.status !== 200) {
      out(`FAIL GET ${full}: status ${file.status}, expected 200 (see --paths)`);
      failed++;
      continue;
    }
    for (const c of fileChecks(full, file)) tally(await runCheck(target, c, quiet));
  }
  for (const c of siteChecks(target.base, values.forbidden ?? DEFAULT_FORBIDDEN)) {
    tally(await runCheck(target, c, quiet));
  }
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
