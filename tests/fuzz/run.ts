/**
 * Running a fuzz property and reporting a failure with what replays it, for the CI test and
 * `deno task fuzz` alike.
 * @module
 */

import fc from "fast-check";
import type { FuzzProperty } from "./properties.ts";

/** How to run a property once. */
export interface RunOptions {
  readonly seed: number;
  readonly numRuns: number;
  /** fast-check's path of a failure: replays exactly that case (with its seed). */
  readonly path?: string;
  /** Stop (without failing) after this many milliseconds. */
  readonly timeLimitMs?: number;
}

/** What a run found. */
export interface RunResult {
  readonly failed: boolean;
  readonly runs: number;
  /** The failure, with the command that replays it; empty when it passed. */
  readonly report: string;
}

/** Run one property; a failure's report names its seed and the command to replay it. */
export async function runProperty(p: FuzzProperty, o: RunOptions): Promise<RunResult> {
  const params: fc.Parameters<unknown> = {
    seed: o.seed,
    numRuns: o.numRuns,
    ...(o.path === undefined ? {} : { path: o.path }),
    ...(o.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: o.timeLimitMs }),
  };
  const d = await fc.check(p.property, params);
  if (!d.failed) return { failed: false, runs: d.numRuns, report: "" };
  const replay = `deno task fuzz --only ${p.name} --seed ${d.seed}` +
    (d.counterexamplePath === null ? "" : ` --path ${d.counterexamplePath}`);
  const report = `fuzz property ${p.name} failed (seed ${d.seed})\n` +
    `replay: ${replay}\n` + (fc.defaultReportMessage(d) ?? "") + "\n" + errorText(d.errorInstance);
  return { failed: true, runs: d.numRuns, report };
}

/** A fresh 32-bit seed. */
export function newSeed(): number {
  return crypto.getRandomValues(new Int32Array(1))[0]!;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
