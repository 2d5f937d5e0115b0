/**
 * The listening address: checked free and resolved (port 0 -> a real port) before the workers
 * bind it with SO_REUSEPORT. Binding once without reusePort first makes a second instance on
 * the same port fail loudly instead of silently sharing the traffic.
 * @module
 */

/**
 * Bind host:port exclusively, note the real port, release it.
 * @throws Deno.errors.AddrInUse, PermissionDenied... with the address in the message
 */
export function resolveListenPort(host: string, port: number): number {
  let l: Deno.Listener;
  try {
    l = Deno.listen({ hostname: host, port });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot listen on ${formatHostPort(host, port)}: ${why}`);
  }
  const real = (l.addr as Deno.NetAddr).port;
  l.close();
  return real;
}

/** host:port with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Whether connections waiting in the accept queue of a closing SO_REUSEPORT listener move to
 * another listener of the same port (Linux >= 5.14 with `net.ipv4.tcp_migrate_req = 1`) or
 * are reset. A reload's retiring workers close their listeners, so it decides whether a reload
 * under load resets connections. Deno reads /proc only with --allow-all, so this does what a
 * reload does and watches: a client connects to listener A alone, listener B joins the port,
 * A closes; B accepting the client means migration, the client reset means none.
 * @returns the answer, or null when the probe could not tell (within a second)
 */
export async function probeMigration(): Promise<boolean | null> {
  const a = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
  const port = (a.addr as Deno.NetAddr).port;
  let b: Deno.Listener | null = null;
  let client: Deno.Conn | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    client = await Deno.connect({ hostname: "127.0.0.1", port });
    b = Deno.listen({ hostname: "127.0.0.1", port, reusePort: true });
    a.close();
    return await Promise.race([
      b.accept().then((c) => (c.close(), true), () => null),
      client.read(new Uint8Array(1)).then(() => false, () => false),
      new Promise<null>((res) => (timer = setTimeout(() => res(null), 1000))),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    for (const c of [a, b, client]) {
      try {
        c?.close();
      } catch { /* closed */ }
    }
  }
}

/** The start-up warning when a reload would reset queued connections. */
export const MIGRATION_WARNING = "net.ipv4.tcp_migrate_req is 0: a reload or a certificate " +
  "renewal resets the connections still waiting to be accepted by the listeners it closes; " +
  "set it to 1 (install.sh " +
  "writes /etc/sysctl.d/60-httpserver.conf)";
