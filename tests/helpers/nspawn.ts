/**
 * A real systemd for tests: a minimal Debian 12 tree made with debootstrap (cached in ROOTFS
 * between runs, built within the test when missing), booted with systemd-nspawn on a throw-away
 * overlay (nothing the test does stays in the cache), sharing the host's network so the host's
 * clients reach its services, and driven with nsenter. Root only.
 * @module
 */

/** Where the Debian tree is kept between runs (CI and reruns reuse it). */
export const ROOTFS = "/var/cache/httpserver-test/bookworm";
const BUILD_BOUND_MS = 4 * 60_000;
const BOOT_BOUND_MS = 60_000;

async function run(cmd: string, args: string[], timeoutMs: number) {
  const p = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => {
    try {
      p.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  const out = await p.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Make sure ROOTFS holds a Debian 12 tree with systemd (about 35-100 s and 240 MB the first
 * time). Built beside it and renamed, so an interrupted build never leaves a half tree.
 */
export async function ensureRootfs(): Promise<void> {
  if (exists(`${ROOTFS}/usr/lib/systemd/systemd`)) return;
  const tmp = `${ROOTFS}.tmp-${Deno.pid}`;
  Deno.mkdirSync(tmp, { recursive: true });
  try {
    const r = await run("debootstrap", [
      "--variant=minbase",
      "--include=systemd,systemd-sysv,dbus",
      "bookworm",
      tmp,
    ], BUILD_BOUND_MS);
    if (r.code !== 0) throw new Error(`debootstrap failed (${r.code}):\n${r.stderr.slice(-2000)}`);
    try {
      Deno.renameSync(tmp, ROOTFS);
    } catch (e) {
      if (!exists(`${ROOTFS}/usr/lib/systemd/systemd`)) throw e; // another run made it first
    }
  } finally {
    if (exists(tmp)) Deno.removeSync(tmp, { recursive: true });
  }
}

/** A booted container. */
export interface Container {
  /** The container's init (systemd), as a host process id. */
  readonly init: number;
  /** Run a shell command inside (all of the container's namespaces). */
  sh(
    command: string,
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Copy a host file into the container. */
  copyIn(from: string, to: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A file under /proc, read through cat: `deno task test` grants --allow-run, while Deno opens
 * /proc files only with --allow-all.
 */
async function procText(path: string): Promise<string> {
  return (await run("sh", ["-c", `cat ${path} 2>/dev/null`], 5000)).stdout;
}

/** The first process named `name` under `pid`. */
async function findDescendant(pid: number, name: string): Promise<number | null> {
  const kids = (await procText(`/proc/${pid}/task/*/children`)).trim();
  for (const c of kids === "" ? [] : kids.split(/\s+/).map(Number)) {
    if ((await procText(`/proc/${c}/comm`)).trim() === name) return c;
    const deeper = await findDescendant(c, name);
    if (deeper !== null) return deeper;
  }
  return null;
}

/**
 * Boot ROOTFS with systemd-nspawn on a volatile overlay, with read-only binds
 * (`host path` -> `container path`), and wait until systemd says it is running.
 */
export async function bootContainer(
  binds: ReadonlyArray<readonly [string, string]>,
): Promise<Container> {
  const proc = new Deno.Command("systemd-nspawn", {
    args: [
      "-q",
      "-D",
      ROOTFS,
      "--register=no",
      "--keep-unit",
      "--boot",
      "--volatile=overlay",
      "--console=pipe",
      ...binds.map(([from, to]) => `--bind-ro=${from}:${to}`),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(proc.stderr).text();
  const close = async () => {
    try {
      proc.kill("SIGTERM"); // nspawn shuts the container down
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
    }, 15_000);
    await proc.status;
    clearTimeout(timer);
    await stderr;
  };
  try {
    const until = Date.now() + BOOT_BOUND_MS;
    let init: number | null = null;
    while (init === null && Date.now() < until) {
      init = await findDescendant(proc.pid, "systemd");
      if (init === null) await new Promise((r) => setTimeout(r, 100));
    }
    if (init === null) throw new Error("the container's systemd did not start");
    const pid = init;
    const sh = (command: string, timeoutMs = 120_000) =>
      run("nsenter", ["-t", String(pid), "-a", "sh", "-c", command], timeoutMs);
    for (;;) {
      const state = (await sh("systemctl is-system-running")).stdout.trim();
      if (state === "running" || state === "degraded") break;
      if (Date.now() > until) throw new Error(`the container did not boot: ${state}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const copyIn = async (from: string, to: string) => {
      const r = await run("cp", [from, `/proc/${pid}/root${to}`], 60_000);
      if (r.code !== 0) throw new Error(`cannot copy ${from} into the container: ${r.stderr}`);
    };
    return { init: pid, sh, copyIn, close };
  } catch (e) {
    await close();
    throw new Error(`${e instanceof Error ? e.message : e}\n${await stderr}`);
  }
}
