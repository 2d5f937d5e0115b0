/**
 * Run before the test suite: make sure the real programs the tests drive are installed
 * (curl, wget, memcached, chromium; python3 and script for fault and signal tests;
 * systemd-analyze to verify the unit file; slowhttptest for the slow-client attacks). On a fresh Debian machine, as root, missing ones are
 * installed with apt-get; otherwise the suite stops here with the command to run.
 */

const NEEDED: ReadonlyArray<{ cmd: string; pkg: string }> = [
  { cmd: "curl", pkg: "curl" },
  { cmd: "wget", pkg: "wget" },
  { cmd: "memcached", pkg: "memcached" },
  { cmd: "chromium", pkg: "chromium" },
  { cmd: "python3", pkg: "python3" }, // raw sockets with SO_LINGER (connections reset at once)
  { cmd: "script", pkg: "bsdutils" }, // a pty, for a server started from a terminal
  { cmd: "systemd-analyze", pkg: "systemd" }, // verify httpserver.service (offline; no systemd PID 1)
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
