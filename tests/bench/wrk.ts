/**
 * Run wrk against one server for one case.
 * @module
 */

import type { WrkCase } from "./cases.ts";
import { parseWrkOutput, type WrkResult } from "./wrk_output.ts";

/** What one wrk run needs beyond the case. */
export interface WrkRun {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** `-d` in seconds. */
  readonly seconds: number;
  /** `-t`. */
  readonly threads: number;
  /** Path of the Range-mix Lua script (used when the case asks for it). */
  readonly rangeScript: string;
}

/**
 * The wrk command line for a case (always 127.0.0.1, always `--latency`).
 * @param c the case
 * @param run port, duration, threads, script path
 * @returns arguments after `wrk`
 * @example
 * wrkArgs(WRK_CASES[0], { port: 8080, seconds: 5, threads: 2, rangeScript: "/t/r.lua" });
 * // ["-t2", "-c50", "-d5s", "--latency", "http://127.0.0.1:8080/1k.html"]
 */
export function wrkArgs(c: WrkCase, run: WrkRun): string[] {
  const args = [`-t${run.threads}`, `-c${c.connections}`, `-d${run.seconds}s`, "--latency"];
  for (const h of c.headers) args.push("-H", h);
  if (c.rangeScript) args.push("-s", run.rangeScript);
  args.push(`http://127.0.0.1:${run.port}${c.path}`);
  return args;
}

/**
 * Run wrk and parse its report. wrk stops by itself after `-d`; a hung wrk is killed after
 * `-d` plus 30 s so a broken server cannot stall the bench.
 * @param bin path of wrk
 * @param args from {@link wrkArgs}
 * @param seconds the `-d` value, for the watchdog
 * @returns the parsed numbers, or an Error with wrk's stderr
 */
export async function runWrk(
  bin: string,
  args: readonly string[],
  seconds: number,
): Promise<WrkResult | Error> {
  const child = new Deno.Command(bin, { args: [...args], stdout: "piped", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, (seconds + 30) * 1000);
  try {
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      const why = new TextDecoder().decode(out.stderr).trim() || text.trim();
      return new Error(`wrk ${args.join(" ")} failed (exit ${out.code}): ${why}`);
    }
    return parseWrkOutput(text);
  } finally {
    clearTimeout(timer);
  }
}
