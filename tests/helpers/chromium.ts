/**
 * Drive Debian's headless Chromium over the DevTools protocol (a WebSocket; no extra package).
 * The test fails with a clear message when chromium is not installed.
 * @module
 */

import { join } from "./paths.ts";
import { tempDir } from "./server.ts";

/** A page in a running headless Chromium. */
export interface Browser {
  /** Evaluate an expression in the page (promises are awaited) and return its value. */
  evaluate<T>(expression: string): Promise<T>;
  navigate(url: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start Chromium headless with a fresh profile and open one page.
 * @param o.home HOME for Chromium: its NSS database (`$HOME/.pki/nssdb`) holds the certificate
 *   authorities the user trusts, where an HTTPS test puts its own
 */
export async function launchChromium(o: { home?: string } = {}): Promise<Browser> {
  const profile = tempDir();
  let proc: Deno.ChildProcess;
  try {
    proc = new Deno.Command("chromium", {
      ...(o.home === undefined ? {} : { env: { HOME: o.home } }),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (e) {
    throw new Error(`chromium is required for this test (apt-get install chromium): ${e}`);
  }
  const port = await devToolsPort(profile, proc);
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Array<
    { type: string; webSocketDebuggerUrl: string }
  >;
  const page = targets.find((t) => t.type === "page");
  if (page === undefined) throw new Error("Chromium opened no page");
  const cdp = await connect(page.webSocketDebuggerUrl);
  await cdp.call("Page.enable", {});
  return {
    async evaluate<T>(expression: string): Promise<T> {
      const r = await cdp.call("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      }) as {
        result: { value: T };
        exceptionDetails?: { text: string; exception?: { description?: string } };
      };
      if (r.exceptionDetails) {
        throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
      }
      return r.result.value;
    },
    async navigate(url: string): Promise<void> {
      const loaded = cdp.once("Page.loadEventFired");
      await cdp.call("Page.navigate", { url });
      await loaded;
    },
    async close(): Promise<void> {
      cdp.close();
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      await proc.status;
      // Chromium's helper processes may still be writing to the profile for a moment; the
      // folder is under the git-ignored tests/tmp, so a failed clean-up is harmless.
      try {
        Deno.removeSync(profile, { recursive: true });
      } catch { /* left for the next clean */ }
    },
  };
}

async function devToolsPort(profile: string, proc: Deno.ChildProcess): Promise<number> {
  let exited = false;
  proc.status.then(() => (exited = true));
  const until = Date.now() + 20_000;
  while (Date.now() < until && !exited) {
    try {
      const text = Deno.readTextFileSync(join(profile, "DevToolsActivePort"));
      const port = Number(text.split("\n")[0]);
      if (port > 0) return port;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("Chromium did not open its DevTools port");
}

interface Cdp {
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
  once(event: string): Promise<unknown>;
  close(): void;
}

async function connect(url: string): Promise<Cdp> {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = () => rej(new Error(`Cannot connect to ${url}`));
  });
  let next = 0;
  const pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();
  const waiters = new Map<string, Array<(v: unknown) => void>>();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data as string) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      params?: unknown;
    };
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.rej(new Error(m.error.message));
      else p?.res(m.result);
    } else if (m.method !== undefined) {
      for (const w of waiters.get(m.method) ?? []) w(m.params);
      waiters.delete(m.method);
    }
  };
  return {
    call: (method, params) =>
      new Promise((res, rej) => {
        const id = ++next;
        pending.set(id, { res, rej });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    once: (event) => new Promise((res) => waiters.set(event, [...(waiters.get(event) ?? []), res])),
    close: () => ws.close(),
  };
}
