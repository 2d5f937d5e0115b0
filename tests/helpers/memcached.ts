/**
 * A real memcached for tests, on a free port, stopped by PID; and a fake one that accepts
 * connections and never answers.
 * @module
 */

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`memcached did not listen on ${port}: ${e}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A running memcached. */
export class MemcachedProcess {
  readonly port: number;
  #proc: Deno.ChildProcess | null = null;

  constructor(port: number) {
    this.port = port;
  }

  /** Start (or restart) memcached on this port. */
  async start(): Promise<void> {
    let proc: Deno.ChildProcess;
    try {
      // -U 0: no UDP; -u root: required when the tests run as root, ignored otherwise.
      proc = new Deno.Command("memcached", {
        args: ["-p", String(this.port), "-l", "127.0.0.1", "-U", "0", "-u", "root", "-m", "16"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          "memcached is not installed: install it (apt-get install memcached) to run the " +
            "session tests, which need a real one",
        );
      }
      throw e;
    }
    this.#proc = proc;
    await waitForPort(this.port, 5000);
  }

  /** The process id (while running). */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  /** Send a signal (SIGSTOP freezes it: connections are accepted, nothing is answered). */
  signal(s: Deno.Signal): void {
    this.#proc?.kill(s);
  }

  /** Kill it and wait until it is gone. */
  async stop(): Promise<void> {
    const p = this.#proc;
    if (p === null) return;
    this.#proc = null;
    try {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    } catch { /* already gone */ }
    await p.status;
  }
}

/** Start memcached on a free port (fails with a clear message when it is not installed). */
export async function startMemcached(): Promise<MemcachedProcess> {
  const m = new MemcachedProcess(freePort());
  await m.start();
  return m;
}

/** A TCP listener that accepts connections and never sends a byte. */
export class SilentServer {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    const conns = this.#conns;
    this.#loop = (async () => {
      try {
        for await (const c of listener) conns.add(c);
      } catch { /* closed */ }
    })();
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.#conns.size;
  }

  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await this.#loop;
  }
}

/** The last line of a text-protocol answer. */
const FINAL_LINE =
  /(^|\n)(END|STORED|NOT_STORED|EXISTS|NOT_FOUND|DELETED|TOUCHED|OK|\d+|(BUSY|ERROR|CLIENT_ERROR|SERVER_ERROR)[^\r]*)\r\n$/;

/**
 * Send one text-protocol command (`stats`, `lru_crawler metadump all`, `get key`) to the
 * memcached on `port` and return its answer, read up to its final `END` line.
 */
export async function memcachedCommand(port: number, command: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  // A bounded wait: an answer that never ends would otherwise hang the test.
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    await conn.write(new TextEncoder().encode(command + "\r\n"));
    const buf = new Uint8Array(65536);
    const decoder = new TextDecoder();
    while (!FINAL_LINE.test(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return text;
  } catch (e) {
    throw new Error(`memcached ${JSON.stringify(command)} did not answer: ${e}; got ${text}`);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/** memcached's `stats` as numbers by name (curr_items, evictions...). */
export async function memcachedStats(port: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await memcachedCommand(port, "stats")).matchAll(/^STAT (\S+) (\d+)\r$/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}
