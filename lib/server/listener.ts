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
