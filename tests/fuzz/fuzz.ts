/**
 * `deno task fuzz [--seconds N] [--only NAME] [--seed S [--path P]]`: run the fuzz properties
 * (properties.ts) for N seconds (default 60), each in turn with a fresh seed per batch, and
 * stop at the first failure, printing its seed and the command that replays it. With --seed,
 * run each selected property once from that seed (with --path, exactly the failing case).
 * Exit code 0 when every run held, 1 on a failure, 2 for a bad flag.
 * @module
 */

import { parseArgs } from "node:util";
import { PROPERTIES } from "./properties.ts";
import { newSeed, runProperty } from "./run.ts";

const enc = new TextEncoder();
const say = (s: string) => void Deno.stdout.writeSync(enc.encode(s + "\n"));

/** A batch of a property runs at most this long before the next property's turn. */
const BATCH_MS = 5000;

function usage(message: string): never {
  say(`${message}\nusage: deno task fuzz [--seconds N] [--only NAME] [--seed S [--path P]]`);
  say(`properties: ${PROPERTIES.map((p) => p.name).join(", ")}`);
  Deno.exit(2);
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "60" },
      only: { type: "string" },
      seed: { type: "string" },
      path: { type: "string" },
    },
  }).values;
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const seconds = Number(args.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) {
  usage(`--seconds: expected a number, got ${args.seconds}`);
}
const selected = args.only === undefined
  ? PROPERTIES
  : PROPERTIES.filter((p) => args.only!.split(",").includes(p.name));
if (selected.length === 0) usage(`--only: no property named ${args.only}`);
if (args.path !== undefined && args.seed === undefined) usage("--path needs --seed");

if (args.seed !== undefined) {
  const seed = Number(args.seed);
  if (!Number.isInteger(seed)) usage(`--seed: expected an integer, got ${args.seed}`);
  let failed = false;
  for (const p of selected) {
    const r = await runProperty(p, {
      seed,
      numRuns: p.ciRuns,
      ...(args.path === undefined ? {} : { path: args.path }),
    });
    say(r.failed ? r.report : `${p.name}: ${r.runs} runs from seed ${seed} held`);
    failed ||= r.failed;
  }
  Deno.exit(failed ? 1 : 0);
}

const until = Date.now() + seconds * 1000;
// Every property gets a turn even in a short run.
const batchMs = Math.min(BATCH_MS, (seconds * 1000) / selected.length);
const runs = new Map(selected.map((p) => [p.name, 0]));
let batches = 0;
while (Date.now() < until) {
  for (const p of selected) {
    const left = until - Date.now();
    if (left <= 0) break;
    const seed = newSeed();
    const r = await runProperty(p, {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      timeLimitMs: Math.min(batchMs, left),
    });
    batches++;
    runs.set(p.name, runs.get(p.name)! + r.runs);
    if (r.failed) {
      say(r.report);
      Deno.exit(1);
    }
  }
}
for (const [name, n] of runs) say(`${name}: ${n} runs held`);
say(`fuzz: ${batches} batches in ${seconds} s, no failure`);
