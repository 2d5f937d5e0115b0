/**
 * The few things Deno cannot do for us, asked of the C library through FFI (`--allow-ffi`):
 *
 * - **TCP_NODELAY on TLS connections.** A `Deno.TlsConn` has no `setNoDelay` and Deno never
 *   sets it, so a response written in two writes, or longer than one TLS record (16 KiB), waits
 *   for the client's delayed ACK: about 44 ms per exchange on a keep-alive connection. Linux
 *   copies TCP_NODELAY from a listening socket to the sockets it accepts, so it is set on the
 *   listening sockets of the HTTPS port. Their descriptors are found among this process's
 *   (/proc/self/fd) by asking each socket for its address and whether it listens.
 * - **Ending a stalled TLS handshake.** Closing a `Deno.TlsConn` whose handshake has not
 *   finished leaves its socket open until the handshake ends (Deno finishes a handshake before
 *   it shuts a TLS stream down), so a client that sends half a ClientHello and waits would keep
 *   a descriptor forever. `shutdown()` on the socket ends the handshake, and Deno closes it.
 *
 * Deno refuses to read /proc without `--allow-all` (its `/proc/self/fd` rule),
 * which the server does not run with; the C library reads it directly. Without FFI (no
 * permission, no glibc) every function here says so and the caller carries on without.
 * @module
 */

// Linux constants (x86_64 and aarch64 alike).
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const AF_INET = 2;
const AF_INET6 = 10;
/** Offset of d_name in glibc's struct dirent on 64-bit Linux (ino 8, off 8, reclen 2, type 1). */
const DIRENT_NAME = 19;

const SYMBOLS = {
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | Error | null = null;

/** The C library, opened once per thread; an Error when FFI is not available. */
function open(): Libc | Error {
  if (libc !== null) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (e) {
    libc = new Error(`FFI unavailable (${e instanceof Error ? e.message : e})`);
  }
  return libc;
}

const cString = (s: string) => new TextEncoder().encode(s + "\0");

/** The descriptors this process has open, from /proc/self/fd. */
function openDescriptors(c: Libc): number[] | Error {
  const dir = c.opendir(cString("/proc/self/fd"));
  if (dir === null) return new Error("cannot list /proc/self/fd");
  const fds: number[] = [];
  try {
    for (let e = c.readdir(dir); e !== null; e = c.readdir(dir)) {
      const name = Deno.UnsafePointerView.getCString(e, DIRENT_NAME);
      if (/^[0-9]+$/.test(name)) fds.push(Number(name));
    }
  } finally {
    c.closedir(dir);
  }
  return fds;
}

/**
 * Set TCP_NODELAY on every socket of this process listening on `port` (TCP, IPv4 or IPv6).
 * Call it after opening a listener; setting it again on one that has it is harmless.
 * @returns how many listening sockets were set, or an Error when FFI is unavailable
 */
export function setListenerNoDelay(port: number): number | Error {
  const c = open();
  if (c instanceof Error) return c;
  const fds = openDescriptors(c);
  if (fds instanceof Error) return fds;
  const addr = new Uint8Array(128);
  const len = new Uint32Array(1);
  const value = new Int32Array(1);
  const on = new Int32Array([1]);
  let set = 0;
  for (const fd of fds) {
    len[0] = addr.length;
    if (c.getsockname(fd, addr, len) !== 0) continue; // not a socket (or closed meanwhile)
    const family = addr[0]! | (addr[1]! << 8);
    if (family !== AF_INET && family !== AF_INET6) continue;
    if (((addr[2]! << 8) | addr[3]!) !== port) continue; // sin_port, network byte order
    len[0] = 4;
    if (c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, len) !== 0 || value[0] !== 1) continue;
    if (c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, on, 4) === 0) set++;
  }
  return set;
}

/** A TCP peer as Deno reports it (`remoteAddr`). */
export interface PeerAddress {
  readonly ip: string;
  readonly port: number;
}

/**
 * Shut down (both directions) the sockets connected from each of `peers` to `localPort`, so a
 * pending TLS handshake on them ends (see the module note). One pass over the descriptors
 * however many peers.
 * @returns how many sockets were shut down, or an Error when FFI is unavailable
 */
export function shutdownConnections(
  localPort: number,
  peers: readonly PeerAddress[],
): number | Error {
  const c = open();
  if (c instanceof Error) return c;
  const fds = openDescriptors(c);
  if (fds instanceof Error) return fds;
  const wanted = new Set(peers.map((p) => `${normalIp(p.ip)}|${p.port}`));
  const addr = new Uint8Array(128);
  const len = new Uint32Array(1);
  let done = 0;
  for (const fd of fds) {
    len[0] = addr.length;
    if (c.getpeername(fd, addr, len) !== 0) continue;
    const peer = sockaddrKey(addr);
    if (peer === null || !wanted.has(peer)) continue;
    len[0] = addr.length;
    if (c.getsockname(fd, addr, len) !== 0 || ((addr[2]! << 8) | addr[3]!) !== localPort) continue;
    if (c.shutdown(fd, 2) === 0) done++; // SHUT_RDWR
  }
  return done;
}

/** "ip|port" of a sockaddr_in or sockaddr_in6 (v4-mapped IPv6 as IPv4), null for others. */
function sockaddrKey(a: Uint8Array): string | null {
  const family = a[0]! | (a[1]! << 8);
  const port = (a[2]! << 8) | a[3]!;
  if (family === AF_INET) return `${a.subarray(4, 8).join(".")}|${port}`;
  if (family !== AF_INET6) return null;
  const b = a.subarray(8, 24);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `${b.subarray(12, 16).join(".")}|${port}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return `${normalIp(groups.join(":"))}|${port}`;
}

/** An address in one spelling: IPv6 compressed and lower-case, v4-mapped as IPv4. */
function normalIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4 !== null) return v4[1]!;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}
