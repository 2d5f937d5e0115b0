/**
 * A private network namespace for a test (root only): its own loopback, and sysctls set there
 * without touching the machine's (they are per namespace). Processes join it through nsenter.
 * @module
 */

/** A namespace held open by a sleeping process. */
export interface Netns {
  /** The holder's process id: `nsenter --net=/proc/PID/ns/net` joins the namespace. */
  readonly pid: number;
  /** argv to run `cmd` inside the namespace. */
  argv(cmd: readonly string[]): string[];
  /** Run a command inside and collect its output. */
  output(cmd: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/**
 * Create the namespace: loopback up, then each `sysctls` entry (`name=value`) set inside.
 * @throws when unshare, ip or sysctl are missing or not permitted (the test then fails)
 */
export async function privateNetwork(sysctls: readonly string[] = []): Promise<Netns> {
  const sets = sysctls.map((s) => `sysctl -qw ${s}`).join(" && ");
  const script = `ip link set lo up${
    sets === "" ? "" : ` && ${sets}`
  } && echo ready && exec sleep 600`;
  const proc = new Deno.Command("unshare", {
    args: ["--net", "--", "sh", "-c", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  if (first.value?.trim() !== "ready") {
    const err = await new Response(proc.stderr).text();
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.status;
    throw new Error(`cannot create a network namespace (root needed): ${err}`);
  }
  const argv = (
    cmd: readonly string[],
  ) => ["nsenter", `--net=/proc/${proc.pid}/ns/net`, "--", ...cmd];
  return {
    pid: proc.pid,
    argv,
    async output(cmd) {
      const [c, ...args] = argv(cmd);
      const r = await new Deno.Command(c!, { args }).output();
      const d = new TextDecoder();
      return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
    },
    async close() {
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
      await proc.status;
      await reader.cancel().catch(() => {});
      await proc.stderr.cancel().catch(() => {});
    },
  };
}
