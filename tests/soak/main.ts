/**
 * `deno task soak [--duration 5m] [--clients 8] [--seed N] [--keep] [--json FILE]`: run the
 * soak (soak.ts) against a server it starts on a free port, print its figures and verdict.
 * Exit code 0 when it passed, 1 when it failed, 2 for a bad flag.
 * @module
 */

import { parseArgs } from "node:util";
import { formatReport, runSoak } from "./soak.ts";

const enc = new TextEncoder();
const say = (s: string) => void Deno.stdout.writeSync(enc.encode(s + "\n"));

function usage(message: string): never {
  say(
    `${message}\nusage: deno task soak [--duration 5m] [--clients 8] [--seed N] [--keep] ` +
      `[--json FILE]`,
  );
  Deno.exit(2);
}

/** "90s", "5m", "1h", "1500ms" or bare seconds, in milliseconds (NaN when malformed). */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (m === null) return NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Number(m[1]) * unit;
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      duration: { type: "string", default: "5m" },
      clients: { type: "string", default: "8" },
      seed: { type: "string" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
    },
  }).values;
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const durationMs = parseDuration(args.duration);
if (!(durationMs >= 10_000)) usage(`--duration: expected at least 10s, got ${args.duration}`);
const clients = Number(args.clients);
if (!Number.isInteger(clients) || clients < 1) usage(`--clients: got ${args.clients}`);
const seed = args.seed === undefined ? undefined : Number(args.seed);
if (seed !== undefined && !Number.isInteger(seed)) usage(`--seed: got ${args.seed}`);

say(`soak: ${args.duration} with ${clients} clients`);
const report = await runSoak({
  durationMs,
  clients,
  keep: args.keep,
  progress: say,
  ...(seed === undefined ? {} : { seed }),
});
say(formatReport(report));
if (args.json !== undefined) Deno.writeTextFileSync(args.json, JSON.stringify(report, null, 2));
if (args.keep || !report.ok) say(`server folder and logs kept in ${report.dir}`);
Deno.exit(report.ok ? 0 : 1);
