/**
 * Kernel settings for a test (root): read one, and run a function with one set, putting the old
 * value back afterwards. Used for net.ipv4.tcp_migrate_req, which install.sh sets for the
 * service (without it, closing a reusePort listener resets the connections in its accept queue).
 * @module
 */

/** `sysctl -n NAME`, or `sysctl -n -w NAME=VALUE`; the output, trimmed. */
export async function sysctl(arg: string): Promise<string> {
  const r = await new Deno.Command("sysctl", {
    args: ["-n", ...(arg.includes("=") ? ["-w"] : []), arg],
  }).output();
  if (!r.success) throw new Error(`sysctl ${arg}: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout).trim();
}

/** Run `f` with the kernel setting `name` at `value`, then put the old value back. */
export async function withSysctl<T>(name: string, value: string, f: () => Promise<T>): Promise<T> {
  const before = await sysctl(name);
  await sysctl(`${name}=${value}`);
  try {
    return await f();
  } finally {
    await sysctl(`${name}=${before}`);
  }
}
