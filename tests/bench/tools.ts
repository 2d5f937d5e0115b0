/**
 * Find wrk and nginx (the bench installs nothing) and collect the versions for the report.
 * @module
 */

import { join } from "node:path";

/** Paths of the external tools. */
export interface Tools {
  readonly wrk: string;
  readonly nginx: string;
}

/** Folders searched after PATH: nginx lives in /usr/sbin, often missing from a user's PATH. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"];

/**
 * Where an executable is, searching PATH then the sbin folders.
 * @param name executable name
 * @param path the PATH value
 * @returns the path, or null
 */
export function which(name: string, path: string): string | null {
  for (const dir of [...path.split(":").filter((d) => d !== ""), ...EXTRA_DIRS]) {
    const file = join(dir, name);
    try {
      const st = Deno.statSync(file);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return file;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * Find wrk and nginx.
 * @returns their paths, or an Error telling how to install what is missing
 */
export function findTools(): Tools | Error {
  const path = Deno.env.get("PATH") ?? "";
  const wrk = which("wrk", path);
  const nginx = which("nginx", path);
  const missing = [wrk === null ? "wrk" : "", nginx === null ? "nginx" : ""].filter((s) => s);
  if (missing.length > 0) {
    return new Error(
      `Cannot run the bench: ${missing.join(" and ")} not found on PATH or in /usr/sbin. ` +
        "Install them with: sudo apt-get install wrk nginx",
    );
  }
  return { wrk: wrk ?? "", nginx: nginx ?? "" };
}

async function firstLine(cmd: string, args: string[], re: RegExp): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return re.exec(text)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Versions of everything involved, for the JSON report. */
export interface Versions {
  readonly deno: string;
  readonly v8: string;
  readonly typescript: string;
  readonly nginx: string;
  readonly wrk: string;
  readonly kernel: string;
  /** `git rev-parse HEAD` of the repository, with "+dirty" when it has changes. */
  readonly commit: string;
}

/**
 * Ask each tool for its version (read-only commands).
 * @param tools tool paths
 * @param repoDir repository root, for the git commit
 * @returns versions ("unknown" where a tool does not say)
 */
export async function collectVersions(tools: Tools, repoDir: string): Promise<Versions> {
  const head = await firstLine("git", ["-C", repoDir, "rev-parse", "HEAD"], /^([0-9a-f]+)/m);
  const dirty = await firstLine("git", ["-C", repoDir, "status", "--porcelain"], /^(.+)$/m);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    nginx: await firstLine(tools.nginx, ["-v"], /nginx version: (.+)$/m),
    wrk: await firstLine(tools.wrk, ["-v"], /^wrk (\S+)/m),
    kernel: Deno.osRelease(),
    commit: head + (dirty !== "unknown" ? "+dirty" : ""),
  };
}
