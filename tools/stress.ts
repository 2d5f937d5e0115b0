/**
 * `deno task stress URL`: the original project's stress_testing.py for any running server. N
 * clients, each on a kept-alive connection (a new one when the server closes it), send random
 * GET, HEAD and POST requests for the given paths until the duration (or request count) is
 * reached, with a live progress line on stderr; then the errors and latency percentiles.
 * Bounded: at most 1000 clients and an hour, every request under a timeout. It refuses a host
 * other than this machine's loopback unless `--allow-remote` is given: loading someone else's
 * server by accident is not a test. Exit status 0 with no errors, 1 with some, 2 for bad usage.
 *
 * ```sh
 * deno task stress http://127.0.0.1:8080 --clients 50 --duration 30
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_PATHS } from "./conformance_checks.ts";
import { Connection, type Request, type Target, targetOf } from "./http_client.ts";
import {
  isLoopback,
  newTally,
  progressLine,
  type StressOptions,
  stressOptions,
  summary,
  type Tally,
} from "./stress_stats.ts";

const USAGE = `Usage: deno task stress [options] URL

Loads a running HTTP server with concurrent clients sending random GET, HEAD and POST
requests, then prints the errors and latency percentiles.

Options:
  -c, --clients N      concurrent clients, each with its own connection (default 16, max 1000)
  -d, --duration S     seconds to run (default 10, max 3600)
  -n, --requests N     stop after N requests in all (default: only the duration)
  --methods LIST       methods to pick from (default GET,HEAD,POST)
  --paths A,B,...      paths to pick from (default: the bundled site's files)
  --timeout MS         longest wait for one response (default 10000)
  --allow-remote       allow a host other than localhost, 127.0.0.0/8 and ::1
  -h, --help           this text
`;

const enc = new TextEncoder();
const out = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));
const POST_BODY = enc.encode("name=stress&value=1");

class Failure extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}

function count(m: Map<string, number> | Map<number, number>, k: never): void {
  (m as Map<unknown, number>).set(k, ((m as Map<unknown, number>).get(k) ?? 0) + 1);
}

/** One response, or a Failure (timeouts close the connection). */
async function timed(c: Connection, r: Request, timeoutMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      c.close();
      reject(new Failure("timeout", `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([c.exchange(r), timeout]);
  } catch (e) {
    if (e instanceof Failure) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Failure(msg.startsWith("Bad response") ? "bad response" : "closed", msg);
  } finally {
    clearTimeout(timer);
  }
}

/** One client: requests until the run ends. */
async function client(
  t: Target,
  o: StressOptions,
  tally: Tally,
  run: { until: number; left: number },
) {
  let conn: Connection | null = null;
  while (Date.now() < run.until && run.left > 0) {
    run.left--;
    const method = o.methods[Math.floor(Math.random() * o.methods.length)]!;
    const path = o.paths[Math.floor(Math.random() * o.paths.length)]!;
    const r: Request = method === "POST"
      ? { method, target: t.base + path, body: POST_BODY }
      : { method, target: t.base + path };
    const start = performance.now();
    try {
      if (conn === null || conn.closed) {
        conn?.close();
        try {
          conn = await Connection.open(t);
        } catch (e) {
          throw new Failure("connect", e instanceof Error ? e.message : String(e));
        }
      }
      const res = await timed(conn, r, o.timeoutMs);
      tally.requests++;
      tally.latency.record((performance.now() - start) * 1000);
      count(tally.statuses, res.status as never);
      if (res.status >= 500) {
        tally.errors++;
        count(tally.failures, "5xx" as never);
      }
      if (/\bclose\b/i.test(res.fields.find(([k]) => /^connection$/i.test(k))?.[1] ?? "")) {
        conn.close();
        conn = null;
      }
    } catch (e) {
      tally.requests++;
      tally.errors++;
      count(tally.failures, (e instanceof Failure ? e.kind : "closed") as never);
      conn?.close();
      conn = null;
      // A server that refuses connections must not turn the run into a busy loop.
      await new Promise((res) => setTimeout(res, 10));
    }
  }
  conn?.close();
}

async function main(args: string[]): Promise<number> {
  const err = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  let o: StressOptions;
  let target: Target;
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        clients: { type: "string", short: "c" },
        duration: { type: "string", short: "d" },
        requests: { type: "string", short: "n" },
        methods: { type: "string" },
        paths: { type: "string" },
        timeout: { type: "string" },
        "allow-remote": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) return out(USAGE), 0;
    if (positionals.length !== 1) throw new RangeError("expected one URL");
    o = stressOptions(positionals[0]!, values, DEFAULT_PATHS);
    target = targetOf(o.url);
  } catch (e) {
    err(`${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  if (!o.allowRemote && !isLoopback(target.hostname)) {
    err(
      `refusing to load ${target.hostname}: it is not this machine's loopback. Load only ` +
        `servers you run; pass --allow-remote if this one is yours.\n`,
    );
    return 2;
  }
  const tally = newTally();
  const started = Date.now();
  const run = { until: started + o.seconds * 1000, left: o.requests };
  const live = Deno.stderr.isTerminal();
  let lastLine = 0;
  const progress = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    const line = progressLine(tally, elapsed, o.seconds, o.clients);
    if (live) err(`\r${line}\x1b[K`);
    else if (Date.now() - lastLine >= 2000) {
      lastLine = Date.now();
      err(`${line}\n`);
    }
  }, 250);
  try {
    await Promise.all(Array.from({ length: o.clients }, () => client(target, o, tally, run)));
  } finally {
    clearInterval(progress);
  }
  if (live) err("\n");
  out(summary(o, tally, (Date.now() - started) / 1000));
  return tally.errors === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
