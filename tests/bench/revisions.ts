/**
 * Other git revisions of our server for BENCH_REVS: each is checked out with
 * `git worktree add --detach` into the run's temporary folder, its npm packages made ready with
 * `deno install` (from the shared DENO_DIR cache; the npm registry only when its lock differs),
 * and removed with `git worktree remove --force` at the end of the run, failed or not.
 * @module
 */

import { join } from "node:path";

/** A revision checked out for the bench. */
export interface Checkout {
  /** The revision as given in BENCH_REVS (`HEAD~1`, a sha, a branch). */
  readonly rev: string;
  /** Full commit id. */
  readonly sha: string;
  /** Abbreviated commit id, as in the row labels (`ours @b50dee1`). */
  readonly short: string;
  /** Commit subject, for the report. */
  readonly subject: string;
  /** The worktree: that revision's main.ts, http.conf and error/. */
  readonly dir: string;
}

/** A revision resolved to its commit, not yet checked out. */
export type Resolved = Omit<Checkout, "dir">;

/**
 * Where a revision's worktree goes inside the run's temporary folder.
 * @param tmpDir the run's temporary folder
 * @param short abbreviated commit id
 * @returns the folder path
 * @example
 * checkoutDir("/tmp/httpserver-bench-x", "b50dee1"); // "/tmp/httpserver-bench-x/rev-b50dee1"
 */
export function checkoutDir(tmpDir: string, short: string): string {
  return join(tmpDir, `rev-${short}`);
}

async function run(cmd: string, args: string[], cwd: string): Promise<string | Error> {
  try {
    const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    if (out.success) return dec.decode(out.stdout).trim();
    const why = (dec.decode(out.stderr) + dec.decode(out.stdout)).trim();
    return new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${why}`);
  } catch (e) {
    return new Error(`${cmd} ${args.join(" ")} failed: ${e instanceof Error ? e.message : e}`);
  }
}

async function resolveOne(repoDir: string, rev: string): Promise<Resolved> {
  const sha = await run("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], repoDir);
  if (sha instanceof Error || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new Error(`Cannot use BENCH_REVS: "${rev}" names no commit in ${repoDir}`);
  }
  const short = await run("git", ["rev-parse", "--short", sha], repoDir);
  const subject = await run("git", ["log", "-1", "--format=%s", sha], repoDir);
  if (short instanceof Error) throw short;
  return { rev, sha, short, subject: subject instanceof Error ? "" : subject };
}

/**
 * Resolve every revision to a commit before anything is checked out, so a typo fails at once;
 * revisions naming the same commit are kept once.
 * @param repoDir the repository (any of its worktrees)
 * @param revs revisions from BENCH_REVS
 * @returns the commits, in the order given
 * @throws {Error} naming the first revision git cannot resolve
 */
export async function resolveRevisions(
  repoDir: string,
  revs: readonly string[],
): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const rev of revs) {
    const r = await resolveOne(repoDir, rev);
    if (!out.some((o) => o.sha === r.sha)) out.push(r);
  }
  return out;
}

/**
 * Check out each commit in a detached worktree under `tmpDir` and install its dependencies.
 * Each checkout is pushed onto `into` as soon as its worktree exists, so the caller can remove
 * it even when a later step fails.
 * @param repoDir the repository
 * @param tmpDir the run's temporary folder
 * @param commits from {@link resolveRevisions}
 * @param into receives the checkouts
 * @throws {Error} when git or `deno install` fails
 */
export async function addCheckouts(
  repoDir: string,
  tmpDir: string,
  commits: readonly Resolved[],
  into: Checkout[],
): Promise<void> {
  for (const c of commits) {
    const dir = checkoutDir(tmpDir, c.short);
    const added = await run("git", ["worktree", "add", "--detach", dir, c.sha], repoDir);
    if (added instanceof Error) throw added;
    into.push({ ...c, dir });
    const installed = await run(Deno.execPath(), ["install"], dir);
    if (installed instanceof Error) throw installed;
  }
}

/**
 * Remove the worktrees with `git worktree remove --force`; when git cannot (a lock, a file it
 * will not delete), remove the folder and ask again, which then only drops git's record of it.
 * @param repoDir the repository
 * @param checkouts from {@link addCheckouts}
 * @returns one line per worktree that could not be removed
 */
export async function removeCheckouts(
  repoDir: string,
  checkouts: readonly Checkout[],
): Promise<string[]> {
  const problems: string[] = [];
  const remove = (dir: string) => run("git", ["worktree", "remove", "--force", dir], repoDir);
  for (const c of checkouts) {
    if (!(await remove(c.dir) instanceof Error)) continue;
    await Deno.remove(c.dir, { recursive: true }).catch(() => {});
    const again = await remove(c.dir);
    if (again instanceof Error) problems.push(`Cannot remove worktree ${c.dir}: ${again.message}`);
  }
  return problems;
}
