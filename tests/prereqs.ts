/**
 * Run before the test suite: make sure the real programs the tests drive are installed
 * (curl, wget, memcached, chromium; python3 and script for fault and signal tests;
 * systemd-analyze to verify the unit file; haproxy, logrotate and goaccess, which operators
 * use with it; chattr for files even root cannot write; openssl, certutil, testssl for HTTPS;
 * pebble for automatic certificates; slowhttptest for the slow-client attacks; unshare, ip and sysctl for private namespaces; debootstrap
 * and systemd-nspawn for the real-systemd test). On a fresh Debian machine, as root, missing
 * ones are installed with apt-get; otherwise the suite stops here with the command to run.
 */

const NEEDED: ReadonlyArray<{ cmd: string; pkg: string }> = [
  { cmd: "curl", pkg: "curl" },
  { cmd: "wget", pkg: "wget" },
  { cmd: "memcached", pkg: "memcached" },
  { cmd: "chromium", pkg: "chromium" },
  { cmd: "python3", pkg: "python3" }, // raw sockets with SO_LINGER (connections reset at once)
  { cmd: "script", pkg: "bsdutils" }, // a pty, for a server started from a terminal
  { cmd: "systemd-analyze", pkg: "systemd" }, // verify httpserver.service (offline; no systemd PID 1)
  { cmd: "unshare", pkg: "util-linux" }, // mount and network namespaces (read-only and full folders, reloads)
  { cmd: "nsenter", pkg: "util-linux" },
  { cmd: "ip", pkg: "iproute2" }, // a network namespace's loopback
  { cmd: "sysctl", pkg: "procps" }, // net.ipv4.tcp_migrate_req inside it
  { cmd: "debootstrap", pkg: "debootstrap" }, // a Debian tree with a real systemd
  { cmd: "systemd-nspawn", pkg: "systemd-container" }, // booted as a container
  { cmd: "update-ca-certificates", pkg: "ca-certificates" }, // npm fetches inside it
  { cmd: "haproxy", pkg: "haproxy" }, // two instances behind a load balancer, PROXY protocol
  { cmd: "logrotate", pkg: "logrotate" }, // the shipped deploy/logrotate/httpserver, for real
  { cmd: "goaccess", pkg: "goaccess" }, // reads our access log as COMBINED
  { cmd: "chattr", pkg: "e2fsprogs" }, // files even root cannot write (--check-config tests)
  // HTTPS: test certificates, real TLS clients and scanners, a private network namespace.
  { cmd: "openssl", pkg: "openssl" },
  { cmd: "certutil", pkg: "libnss3-tools" }, // Chromium's NSS database (trust the test CA)
  { cmd: "testssl", pkg: "testssl.sh" },
  { cmd: "ip", pkg: "iproute2" },
  { cmd: "pebble", pkg: "pebble" }, // a real ACME CA for automatic certificates
  { cmd: "slowhttptest", pkg: "slowhttptest" }, // slowloris, slow body, slow read, range attack
];

const say = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s + "\n"));

async function has(cmd: string): Promise<boolean> {
  const r = await new Deno.Command("sh", {
    args: ["-c", `command -v ${cmd}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.success;
}

async function sh(cmd: string): Promise<boolean> {
  say(`+ ${cmd}`);
  const r = await new Deno.Command("sh", {
    args: ["-c", cmd],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return r.success;
}

const missing: string[] = [];
for (const n of NEEDED) if (!(await has(n.cmd))) missing.push(n.pkg);
if (missing.length > 0) {
  const install = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  const root = Deno.uid() === 0 && (await has("apt-get"));
  if (
    !root || !(await sh("apt-get update -qq")) ||
    !(await sh(`DEBIAN_FRONTEND=noninteractive ${install}`))
  ) {
    say(
      `The tests need ${
        missing.join(", ")
      }. Install them with: sudo apt-get update && sudo ${install}`,
    );
    Deno.exit(1);
  }
}
