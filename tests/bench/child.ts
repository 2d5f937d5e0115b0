/**
 * Server child processes: spawn with output kept (last few KiB, for error messages), wait
 * until the port answers HTTP, stop with a signal and a deadline.
 * @module
 */

import { fetchStatus } from "./http_probe.ts";

const KEEP_BYTES = 8192;

/** A spawned server process. */
export class ServerProcess {
  /** The Deno child. */
  readonly child: Deno.ChildProcess;
  /** Set once the process has exited. */
  exited: Deno.CommandStatus | null = null;
  #out = "";
  #lineWaiters: Array<(line: string) => void> = [];

  /**
   * Spawn `cmd args` with stdout and stderr piped and drained.
   * @param cmd executable
   * @param args arguments
   * @param opts working folder and extra environment
   */
  constructor(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> }) {
    this.child = new Deno.Command(cmd, {
      args,
      ...opts,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child.status.then((s) => (this.exited = s));
    this.#drain(this.child.stdout);
    this.#drain(this.child.stderr);
  }

  /** Process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** The last few KiB the process printed (stdout and stderr interleaved). */
  get output(): string {
    return this.#out;
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.#out = (this.#out + dec.decode(chunk, { stream: true })).slice(-KEEP_BYTES);
        for (const w of this.#lineWaiters) w(this.#out);
      }
    } catch { /* the process went away */ }
  }

  /**
   * Wait until the output matches `re`.
   * @param re pattern to look for
   * @param timeoutMs deadline
   * @returns the match, or an Error (timeout or exit) holding the output so far
   */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray | Error> {
    return new Promise((resolve) => {
      const check = (text: string) => {
        const m = re.exec(text);
        if (m !== null) done(m);
      };
      const timer = setTimeout(
        () => done(this.#failure(`no ${re} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const exitCheck = setInterval(() => {
        if (this.exited !== null) done(this.#failure(`exited with code ${this.exited.code}`));
      }, 50);
      const done = (v: RegExpExecArray | Error) => {
        clearTimeout(timer);
        clearInterval(exitCheck);
        this.#lineWaiters = this.#lineWaiters.filter((w) => w !== check);
        resolve(v);
      };
      this.#lineWaiters.push(check);
      check(this.#out);
    });
  }

  #failure(why: string): Error {
    return new Error(`${why}; its output:\n${this.#out.trim() || "(none)"}`);
  }

  /**
   * Poll with a GET until the server answers any HTTP status.
   * @param port port on 127.0.0.1
   * @param timeoutMs deadline
   * @returns null when ready, or an Error with the process output
   */
  async waitHttp(port: number, timeoutMs: number): Promise<Error | null> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.exited !== null) return this.#failure(`exited with code ${this.exited.code}`);
      if (typeof await fetchStatus(port, "/") === "number") return null;
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.#failure(`port ${port} did not answer within ${timeoutMs} ms`);
  }

  /**
   * Stop: send `signal`, wait up to `graceMs`, then SIGKILL.
   * @param signal the polite signal (SIGTERM for ours, SIGQUIT for nginx)
   * @param graceMs how long to wait before SIGKILL
   */
  async stop(signal: Deno.Signal, graceMs: number): Promise<void> {
    if (this.exited !== null) return;
    this.#kill(signal);
    const timer = setTimeout(() => this.#kill("SIGKILL"), graceMs);
    try {
      await this.child.status;
    } finally {
      clearTimeout(timer);
    }
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }
}

/**
 * A free port on 127.0.0.1 (bind port 0, note it, release it) for servers that cannot report
 * the port they picked.
 * @returns the port
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
