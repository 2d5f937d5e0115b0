/**
 * Run wrk against one server for one case.
 * @module
 */

import type { WrkCase } from "./cases.ts";
import { parseStatCpu } from "./proc.ts";
import { parseWrkOutput, type WrkResult } from "./wrk_output.ts";

/** What one wrk run needs beyond the case. */
export interface WrkRun {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** HTTPS port on 127.0.0.1 (null: the server has none). */
  readonly tlsPort: number | null;
  /** `-d` in seconds. */
  readonly seconds: number;
  /** `-t`. */
  readonly threads: number;
  /** Path of the Range-mix Lua script (used when the case asks for it). */
  readonly rangeScript: string;
}

/**
 * The wrk command line for a case (always 127.0.0.1, always `--latency`; https:// for a TLS case,
 * which wrk speaks through OpenSSL without checking the certificate).
 * @param c the case
 * @param run port, duration, threads, script path
 * @returns arguments after `wrk`
 * @example
 * wrkArgs(WRK_CASES[0], { port: 8080, tlsPort: null, seconds: 5, threads: 2, rangeScript: "/t/r.lua" });
 * // ["-t2", "-c50", "-d5s", "--latency", "http://127.0.0.1:8080/1k.html"]
 */
export function wrkArgs(c: WrkCase, run: WrkRun): string[] {
  const args = [`-t${run.threads}`, `-c${c.connections}`, `-d${run.seconds}s`, "--latency"];
  for (const h of c.headers) args.push("-H", h);
  if (c.rangeScript) args.push("-s", run.rangeScript);
  if (c.tls && run.tlsPort === null) throw new Error(`Cannot run ${c.id}: no HTTPS port`);
  args.push(
    c.tls ? `https://127.0.0.1:${run.tlsPort}${c.path}` : `http://127.0.0.1:${run.port}${c.path}`,
  );
  return args;
}

/** A finished wrk run. */
export interface WrkDone {
  readonly result: WrkResult;
  /** CPU time wrk used (user + system, all threads), in clock ticks; null if unreadable. */
  readonly wrkCpuTicks: number | null;
}

/** Marks the line the wrapper shell prints after wrk's report. */
const CPU_MARK = "\n@@wrk-cpu ";

/**
 * Split the wrapper's output: wrk's report, then the shell's own stat line, whose children
 * fields hold the CPU time of wrk (waited for by then).
 * @param text stdout of the wrapper
 * @returns wrk's text and its CPU ticks (null when the line is missing)
 */
export function splitCpuLine(text: string): { report: string; ticks: number | null } {
  const at = text.lastIndexOf(CPU_MARK);
  if (at < 0) return { report: text, ticks: null };
  const cpu = parseStatCpu(text.slice(at + CPU_MARK.length));
  return { report: text.slice(0, at + 1), ticks: cpu === null ? null : cpu.children };
}

/**
 * Run wrk and parse its report. wrk runs under `sh`, which prints its own /proc stat line once
 * wrk has exited: wrk shares the CPUs with the server, so its CPU time is part of the picture.
 * wrk stops by itself after `-d`; a hung wrk is killed after `-d` plus 30 s so a broken server
 * cannot stall the bench.
 * @param bin path of wrk
 * @param args from {@link wrkArgs}
 * @param seconds the `-d` value, for the watchdog
 * @returns the parsed numbers and wrk's CPU time, or an Error with wrk's stderr
 */
export async function runWrk(
  bin: string,
  args: readonly string[],
  seconds: number,
): Promise<WrkDone | Error> {
  const script = `"$0" "$@"; s=$?; printf '${
    CPU_MARK.slice(1)
  }%s\\n' "$(cat /proc/$$/stat)"; exit $s`;
  const child = new Deno.Command("sh", {
    args: ["-c", script, bin, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    // wrk first (a child of the shell), then the shell.
    new Deno.Command("pkill", { args: ["-KILL", "-P", String(child.pid)] }).output()
      .catch(() => null)
      .finally(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      });
  }, (seconds + 30) * 1000);
  try {
    const out = await child.output();
    const { report, ticks } = splitCpuLine(new TextDecoder().decode(out.stdout));
    if (!out.success) {
      const why = new TextDecoder().decode(out.stderr).trim() || report.trim();
      return new Error(`wrk ${args.join(" ")} failed (exit ${out.code}): ${why}`);
    }
    const result = parseWrkOutput(report);
    return result instanceof Error ? result : { result, wrkCpuTicks: ticks };
  } finally {
    clearTimeout(timer);
  }
}
