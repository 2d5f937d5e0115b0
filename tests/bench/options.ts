/**
 * Bench options from environment variables (pure: the caller passes the environment).
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | BENCH_SECONDS | wrk `-d` of each run, seconds (1-3600) | 5 |
 * | BENCH_ROUNDS | rounds; medians are taken over them (1-100) | 3 |
 * | BENCH_IDLE | idle keep-alive connections (0 skips the case) | 10000 |
 * | BENCH_SERVERS | comma list of server ids to run (see servers.ts) | all |
 * | BENCH_CASES | comma list of case ids (see cases.ts; `idle` for the idle case) | all |
 * | BENCH_KEEP_TMP | `1` keeps the temporary folder (configs, logs) for inspection | off |
 * | BENCH_REVS | comma list of git revisions whose server runs as extra rows (`ours @<sha>`) | none |
 * @module
 */

/** Options of one bench run. */
export interface BenchOptions {
  /** wrk duration of each run in seconds. */
  readonly seconds: number;
  /** Number of rounds. */
  readonly rounds: number;
  /** Idle keep-alive connections to open (0 = skip). */
  readonly idleConnections: number;
  /** wrk `-t`. */
  readonly threads: number;
  /** Server ids to run, or null for all. */
  readonly servers: readonly string[] | null;
  /** Case ids to run, or null for all. */
  readonly cases: readonly string[] | null;
  /** Keep the temporary folder afterwards. */
  readonly keepTmp: boolean;
  /**
   * Git revisions (as given: `HEAD~1`, a sha, a branch) whose server runs beside ours in the
   * same rounds, each from a detached worktree; empty for none.
   */
  readonly revs: readonly string[];
}

/** wrk threads: two, as the issue asks (one per core of the reference machine). */
export const WRK_THREADS = 2;

/**
 * Parse a whole decimal number within [min, max] with a digit loop (no parseInt).
 * @param name variable name for the message
 * @param text the value
 * @param range allowed bounds
 * @returns the number
 * @throws {RangeError} when the value is not digits or out of range
 */
export function parseBounded(
  name: string,
  text: string,
  range: { min: number; max: number },
): number {
  const bad = () =>
    new RangeError(
      `Cannot use ${name}="${text}": expected a whole number from ${range.min} to ${range.max}`,
    );
  if (text.length === 0) throw bad();
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw bad();
    n = n * 10 + d;
    if (n > range.max) throw bad();
  }
  if (n < range.min) throw bad();
  return n;
}

function list(text: string | undefined, known: readonly string[], name: string): string[] | null {
  if (text === undefined || text.trim() === "") return null;
  const ids = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const id of ids) {
    if (!known.includes(id)) {
      throw new RangeError(`Cannot use ${name}: unknown id "${id}" (known: ${known.join(", ")})`);
    }
  }
  return ids;
}

/**
 * The git revisions of BENCH_REVS, in order, duplicates dropped. They go to git as arguments
 * (never through a shell), so only what git could take for an option is refused, and spaces and
 * control characters, which no ref name holds.
 * @param text the variable's value, or undefined
 * @returns the revisions (empty when unset)
 * @throws {RangeError} for a revision that starts with "-" or holds whitespace
 * @example
 * parseRevs("HEAD~1, main"); // ["HEAD~1", "main"]
 */
export function parseRevs(text: string | undefined): string[] {
  if (text === undefined) return [];
  const revs: string[] = [];
  for (const rev of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const control = [...rev].some((ch) => ch < " " || ch === "\x7f");
    if (rev.startsWith("-") || /\s/.test(rev) || control) {
      throw new RangeError(
        `Cannot use BENCH_REVS: ${JSON.stringify(rev)} is not a git revision ` +
          `(no leading "-", no spaces)`,
      );
    }
    if (!revs.includes(rev)) revs.push(rev);
  }
  return revs;
}

/**
 * Read the bench options.
 * @param env environment variables (e.g. `Deno.env.toObject()`)
 * @param known ids of the servers and cases, to reject typos
 * @returns the options
 * @throws {RangeError} naming the variable when a value is invalid
 * @example
 * parseOptions({ BENCH_SECONDS: "3" }, { servers: [], cases: [] }).seconds; // 3
 */
export function parseOptions(
  env: Readonly<Record<string, string | undefined>>,
  known: { servers: readonly string[]; cases: readonly string[] },
): BenchOptions {
  const num = (name: string, def: number, min: number, max: number) => {
    const v = env[name];
    return v === undefined || v === "" ? def : parseBounded(name, v, { min, max });
  };
  return {
    seconds: num("BENCH_SECONDS", 5, 1, 3600),
    rounds: num("BENCH_ROUNDS", 3, 1, 100),
    idleConnections: num("BENCH_IDLE", 10_000, 0, 100_000),
    threads: WRK_THREADS,
    servers: list(env["BENCH_SERVERS"], known.servers, "BENCH_SERVERS"),
    cases: list(env["BENCH_CASES"], known.cases, "BENCH_CASES"),
    keepTmp: env["BENCH_KEEP_TMP"] === "1",
    revs: parseRevs(env["BENCH_REVS"]),
  };
}
