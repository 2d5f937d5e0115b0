/**
 * slowhttptest (Debian's package) against the real server with its bundled http.conf:
 * slowloris (slow heads), slow bodies, slow reads and the range attack, one after the other,
 * while a normal client, from another address (127.0.0.2, so a per-client limit aimed at the
 * attacker does not count it), fetches the home page with curl every 200 ms on a new
 * connection. Every one of its responses must be complete and arrive within 1 s, throughout.
 *
 * `SLOWHTTP_SECONDS` sets each mode's length (default 20, as the issue asks; 4 modes take
 * about 90 s of the suite). The attacks must also be made: slowhttptest has to have connected
 * at least `MIN_MADE` times in the modes that hold connections (open at once, or closed by the
 * server: a per-client limit refusing them is the server defending itself), or the test
 * proves nothing.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { REPO, startServer } from "./helpers/server.ts";
import { BLACK_BOX } from "./helpers/writable.ts";

const SECONDS = Number(Deno.env.get("SLOWHTTP_SECONDS") ?? "20");
/** Connections slowhttptest opens (its default is 50). */
const CONNECTIONS = 1000;
/** The modes that hold connections must have connected at least this many times. */
const MIN_MADE = 300;
/** A normal client's every response must arrive within this (the requirement). */
const BOUND_S = 1;
const PROBE_EVERY_MS = 200;

interface Probe {
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** One normal request: a new connection from 127.0.0.2, timed by curl itself. */
async function probe(url: string): Promise<Probe> {
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "--interface",
      "127.0.0.2",
      "--max-time",
      "10",
      "-w",
      "%{http_code} %{size_download} %{time_total}",
      url,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const [status, bytes, seconds] = new TextDecoder().decode(out.stdout).split(" ").map(Number);
  return { status: status ?? 0, bytes: bytes ?? 0, seconds: seconds ?? Infinity };
}

/**
 * From slowhttptest's status blocks: the most connections open at once, and the most that had
 * connected (open, failed or closed) by one block.
 */
function connections(output: string): { held: number; made: number } {
  let held = 0;
  let made = 0;
  for (const m of output.matchAll(/connected:\s+(\d+)\s+error:\s+(\d+)\s+closed:\s+(\d+)/g)) {
    held = Math.max(held, Number(m[1]));
    made = Math.max(made, Number(m[1]) + Number(m[2]) + Number(m[3]));
  }
  return { held, made };
}

const ALL_MODES: ReadonlyArray<
  { name: string; flag: string; args: (base: string) => string[]; holds: boolean }
> = [
  {
    name: "slowloris (-H)",
    flag: "H",
    args: (b) => ["-H", "-i", "10", "-u", `${b}/`],
    holds: true,
  },
  {
    name: "slow body (-B)",
    flag: "B",
    args: (b) => ["-B", "-i", "10", "-s", "8192", "-u", `${b}/`],
    holds: true,
  },
  {
    name: "slow read (-X)",
    flag: "X",
    args: (b) => [
      ...["-X", "-k", "3", "-n", "1", "-w", "10", "-y", "20", "-z", "32"],
      ...["-u", `${b}/media/sample.webm`],
    ],
    holds: true,
  },
  {
    name: "range attack (-R)",
    flag: "R",
    args: (b) => ["-R", "-a", "10", "-b", "3000", "-u", `${b}/media/sample.webm`],
    holds: false,
  },
];
/** `SLOWHTTP_MODES=HX` runs only those modes (for a look at one of them). */
const MODES = ALL_MODES.filter((m) => (Deno.env.get("SLOWHTTP_MODES") ?? "HBXR").includes(m.flag));

/** slowhttptest's output without its colour codes. */
function plain(s: string): string {
  return s.replaceAll("\u001b", "").replace(/\[[0-9;]*m/g, "");
}

Deno.test({
  name:
    `slowhttptest's four modes, ${SECONDS} s each: a normal client is served within ${BOUND_S} s throughout`,
  ignore: !BLACK_BOX,
  async fn() {
    const s = await startServer();
    const page = Deno.statSync(join(REPO, "www", "html", "index.html")).size;
    try {
      for (const mode of MODES) {
        // The attacker runs at the lowest priority: in life it is another machine, and here its
        // own CPU would otherwise be taken from the server it attacks (2 shared cores).
        const attack = new Deno.Command("nice", {
          args: [
            ...["-n", "19", "slowhttptest"],
            ...mode.args(s.url),
            ...["-c", String(CONNECTIONS), "-r", "200", "-l", String(SECONDS), "-p", "3"],
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        let done = false;
        const finished = attack.output().finally(() => (done = true));
        const probes: Probe[] = [];
        const started = Date.now();
        while (!done) {
          const next = Date.now() + PROBE_EVERY_MS;
          probes.push(await probe(`${s.url}/index.html`));
          await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
          if (Date.now() - started > (SECONDS + 30) * 1000) {
            attack.kill("SIGKILL");
            break;
          }
        }
        const out = plain(new TextDecoder().decode((await finished).stdout));
        const ranMs = Date.now() - started;
        const { held, made } = connections(out);
        const slow = probes.filter((p) => !(p.seconds < BOUND_S));
        const failed = probes.filter((p) => p.status !== 200 || p.bytes !== page);
        const worst = Math.max(...probes.map((p) => p.seconds));
        const what = `${mode.name}: ran ${(ranMs / 1000).toFixed(0)} s, ${probes.length} probes, ` +
          `worst ${worst.toFixed(3)} s, ` +
          `slowhttptest held up to ${held} of ${made} connections, load ${Deno.loadavg()[0]}`;
        // slowhttptest stops at its time limit, or earlier when the server has closed all its
        // connections ("No open connections left": slowloris heads answered 408 after
        // HeaderTimeout, range requests answered at once): the server won early.
        const ended = /Exit status: *(Hit test time limit|No open connections left)/.exec(out);
        assert.ok(ended !== null, `${what}\n${out.slice(-600)}`);
        if (mode.holds) assert.ok(made >= MIN_MADE, `the attack was not made: ${what}`);
        // A probe every PROBE_EVERY_MS while the attack ran (curl's own start-up aside).
        assert.ok(
          probes.length >= Math.max(5, ranMs / PROBE_EVERY_MS / 3),
          `too few probes: ${what}`,
        );
        assert.deepEqual(failed, [], `a normal request failed: ${what}`);
        assert.deepEqual(slow, [], `a normal request took ${BOUND_S} s or more: ${what}`);
        Deno.stderr.writeSync(new TextEncoder().encode(`  ${what}\n`));
      }
    } finally {
      const code = await s.stop();
      assert.equal(code, 0);
      Deno.removeSync(s.dir, { recursive: true });
    }
  },
});
