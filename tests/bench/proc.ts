/**
 * Linux /proc readings: resident memory and CPU time of a process tree, the open-files limit,
 * machine facts.
 * The parsers are pure and exported for tests; the readers run `cat` (Linux only).
 * @module
 */

/**
 * The VmRSS value of a /proc/<pid>/status text, in KiB.
 * @param status file text
 * @returns KiB, or null when the line is missing (e.g. a zombie)
 * @example
 * parseVmRss("Name:\tdeno\nVmRSS:\t  51234 kB\n"); // 51234
 */
export function parseVmRss(status: string): number | null {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m === null ? null : Number(m[1]);
}

/**
 * The parent pid from a /proc/<pid>/stat line. The command name is in parentheses and may
 * itself hold spaces and parentheses, so fields are counted after the last `)`.
 * @param stat file text
 * @returns the ppid, or null when the text is not a stat line
 * @example
 * parseStatPpid("42 (nginx: worker) S 41 41 ..."); // 41
 */
export function parseStatPpid(stat: string): number | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const m = /^ \S+ (\d+) /.exec(stat.slice(close + 1));
  return m === null ? null : Number(m[1]);
}

/**
 * CPU time from a /proc/<pid>/stat line, in clock ticks: the process's own (user + system, all
 * its threads) and that of its children it has waited for (cutime + cstime).
 * @param stat file text
 * @returns the tick counts, or null when the text is not a stat line
 * @example
 * parseStatCpu("7 (sh) S 1 7 7 0 -1 0 0 0 0 0 12 3 400 50 20 0"); // { own: 15, children: 450 }
 */
export function parseStatCpu(stat: string): { own: number; children: number } | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  // Fields 3.. after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime(14) stime(15) cutime(16) cstime(17).
  const f = stat.slice(close + 1).trim().split(/\s+/);
  const n = (i: number) => Number(f[i]);
  const own = n(11) + n(12);
  const children = n(13) + n(14);
  return Number.isInteger(own) && Number.isInteger(children) ? { own, children } : null;
}

/**
 * The soft and hard "Max open files" limits from /proc/<pid>/limits.
 * @param limits file text
 * @returns the limits (Infinity for "unlimited"), or null when the line is missing
 */
export function parseOpenFilesLimit(limits: string): { soft: number; hard: number } | null {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s+files/m.exec(limits);
  if (m === null) return null;
  const v = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  return { soft: v(m[1]), hard: v(m[2]) };
}

/**
 * Read /proc files through `cat`: Deno asks for --allow-all before it reads /proc itself,
 * while the bench task grants only --allow-run. Files that vanish are skipped.
 * @param args arguments for `sh -c 'cat ...'` (globs allowed)
 * @returns the concatenated text
 */
async function catProc(args: string): Promise<string> {
  const cmd = new Deno.Command("sh", {
    args: ["-c", `cat ${args} 2>/dev/null; exit 0`],
    stdout: "piped",
    stderr: "null",
  });
  return new TextDecoder().decode((await cmd.output()).stdout);
}

/**
 * Parent pids of all processes from concatenated /proc/<pid>/stat lines.
 * @param stats one stat line per process
 * @returns pid -> ppid
 */
export function parsePpids(stats: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of stats.split("\n")) {
    const pid = /^(\d+) /.exec(line);
    const ppid = parseStatPpid(line);
    if (pid !== null && ppid !== null) out.set(Number(pid[1]), ppid);
  }
  return out;
}

/**
 * A process and all its descendants.
 * @param root pid of the top process
 * @param ppids pid -> ppid of every process
 * @returns pids, root first
 */
export function descendants(root: number, ppids: ReadonlyMap<number, number>): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of ppids) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

/**
 * Sum the CPU ticks of the processes `pids` from concatenated stat lines.
 * @param stats one stat line per process
 * @param pids the processes to count
 * @returns ticks (user + system, all threads)
 */
export function sumCpuTicks(stats: string, pids: readonly number[]): number {
  let ticks = 0;
  for (const line of stats.split("\n")) {
    const pid = /^(\d+) /.exec(line);
    if (pid === null || !pids.includes(Number(pid[1]))) continue;
    ticks += parseStatCpu(line)?.own ?? 0;
  }
  return ticks;
}

/** Clock ticks per second of /proc CPU times (USER_HZ; `getconf CLK_TCK`, 100 on Linux). */
export async function clockTicks(): Promise<number> {
  const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output()
    .catch(() => null);
  const n = out === null ? NaN : Number(new TextDecoder().decode(out.stdout).trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/**
 * CPU time used so far by a process tree (nginx: master + workers; ours: one process whose
 * workers are threads), in ticks.
 * @param root pid of the top process
 * @returns ticks
 */
export async function treeCpuTicks(root: number): Promise<number> {
  const stats = await catProc("/proc/[0-9]*/stat");
  return sumCpuTicks(stats, descendants(root, parsePpids(stats)));
}

/**
 * Resident memory of a process tree: the sum of VmRSS over the process and its descendants
 * (nginx: master + workers; ours: one process whose workers are threads).
 * @param root pid of the top process
 * @returns total KiB and the number of processes counted
 */
export async function treeRssKiB(root: number): Promise<{ kib: number; processes: number }> {
  const pids = descendants(root, parsePpids(await catProc("/proc/[0-9]*/stat")));
  const text = await catProc(pids.map((p) => `/proc/${p}/status`).join(" "));
  let kib = 0;
  let processes = 0;
  for (const status of text.split(/^(?=Name:)/m)) {
    const rss = parseVmRss(status);
    if (rss === null) continue;
    kib += rss;
    processes++;
  }
  return { kib, processes };
}

/**
 * The open-files limit of this process (`cat` inherits it, and so do the servers).
 * @returns soft and hard limits, or null when /proc is unreadable
 */
export async function openFilesLimit(): Promise<{ soft: number; hard: number } | null> {
  return parseOpenFilesLimit(await catProc("/proc/self/limits"));
}

/** CPU model name and total memory, for the report. */
export async function machineFacts(): Promise<{ cpuModel: string; memTotalKiB: number | null }> {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(await catProc("/proc/cpuinfo"));
  const mem = /^MemTotal:\s+(\d+) kB$/m.exec(await catProc("/proc/meminfo"));
  return {
    cpuModel: cpu?.[1]?.trim() ?? "unknown",
    memTotalKiB: mem === null ? null : Number(mem[1]),
  };
}
