/**
 * `deno task dev`, black-box: on a temporary copy of http.conf and of the error pages, it shows
 * requests and warnings, restarts the server when the config, an error page or the code
 * changes, waits out a config that does not load, colours only a terminal without NO_COLOR,
 * and stops the server with itself.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { configText, eventually, rawExchange, REPO, tempDir } from "./helpers/server.ts";

interface Dev {
  output(): string;
  /** The port of the n-th listening line (1-based). */
  port(n: number): Promise<number>;
  stop(): Promise<number>;
}

function startDev(config: string, env: Record<string, string> = {}, terminal = false): Dev {
  const args = ["task", "-q", "dev", "--config", config];
  const quoted = [Deno.execPath(), ...args].map((a) => `'${a}'`).join(" ");
  const [cmd, ...rest] = terminal
    ? ["script", "-qec", `exec ${quoted}`, "/dev/null"]
    : [Deno.execPath(), ...args];
  // The environment is inherited: NO_COLOR (which CI sets) only where the caller asks for it.
  const inherited = Deno.env.toObject();
  delete inherited.NO_COLOR;
  const proc = new Deno.Command(cmd!, {
    args: rest,
    cwd: REPO,
    clearEnv: true,
    env: { ...inherited, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reading = Promise.all([
    (async () => {
      for await (const t of proc.stdout.pipeThrough(new TextDecoderStream())) out += t;
    })(),
    (async () => {
      for await (const t of proc.stderr.pipeThrough(new TextDecoderStream())) out += t;
    })(),
  ]);
  const listening = () =>
    [...out.matchAll(/listening on http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  let stopped = false;
  return {
    output: () => out,
    async port(n) {
      await eventually(() => listening().length >= n, 20_000, `listening line ${n}:\n${out}`);
      return listening()[n - 1]!;
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        try {
          proc.kill("SIGINT");
        } catch { /* gone */ }
      }
      const { code } = await proc.status;
      await reading;
      return code;
    },
  };
}

const get = (port: number, path: string) =>
  rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);

/** A config in a fresh folder: port 0, its own logs and a copy of the error pages. */
function setup(): { dir: string; config: string; pages: string } {
  const dir = tempDir();
  const pages = join(dir, "error");
  Deno.mkdirSync(pages);
  for (const e of Deno.readDirSync(join(REPO, "error"))) {
    if (e.isFile) Deno.copyFileSync(join(REPO, "error", e.name), join(pages, e.name));
  }
  Deno.mkdirSync(join(dir, "logs"));
  const config = join(dir, "http.conf");
  Deno.writeTextFileSync(
    config,
    configText({
      Listen: "127.0.0.1:0",
      DocumentRoot: join(REPO, "www", "html"),
      ErrorPages: pages,
      AccessLog: join(dir, "logs", "access.log"),
      ErrorLog: join(dir, "logs", "error.log"),
      Memcached: "",
      Workers: "1",
      SessionKey: "",
    }),
  );
  return { dir, config, pages };
}

Deno.test("deno task dev shows requests and warnings, and restarts on a change of config, error page or code", async () => {
  const { config, pages } = setup();
  const dev = startDev(config);
  try {
    const first = await dev.port(1);
    assert.match(await get(first, "/hello.txt"), /^HTTP\/1\.1 200 /);
    assert.match(await get(first, "/nope"), /^HTTP\/1\.1 404 /);
    await eventually(
      () => /^\d\d:\d\d:\d\d 404 GET \/nope \d+ B 127\.0\.0\.1$/m.test(dev.output()),
      5000,
      "request lines",
    );
    assert.match(dev.output(), /^\d\d:\d\d:\d\d 200 GET \/hello\.txt 235 B 127\.0\.0\.1$/m);
    assert.match(
      dev.output(),
      /^\d\d:\d\d:\d\d warn {2}no SessionKey or SessionKeyFile/m,
      "a warning",
    );
    assert.ok(!dev.output().includes("\x1b["), "no colour when the output is not a terminal");

    // http.conf changes: a new server with the new setting.
    Deno.writeTextFileSync(
      config,
      Deno.readTextFileSync(config).replace(/^ServerTokens = .*$/m, "ServerTokens = Full"),
    );
    const second = await dev.port(2);
    assert.match(dev.output(), /http\.conf changed: restarting/);
    assert.match(await get(second, "/hello.txt"), /^Server: httpserver\/\d+\.\d+\.\d+\r$/m);

    // A config that does not load: said, and the next change is waited for.
    const good = Deno.readTextFileSync(config);
    Deno.writeTextFileSync(config, "BogusKey = 1\n" + good);
    await eventually(() => /BogusKey: unknown key/.test(dev.output()), 10_000, "the config error");
    Deno.writeTextFileSync(config, good);
    const third = await dev.port(3);
    assert.match(await get(third, "/hello.txt"), /^HTTP\/1\.1 200 /);

    // An error page changes.
    Deno.writeTextFileSync(
      join(pages, "404.html"),
      "<!DOCTYPE html><title>gone</title><p>edited 404 page</p>",
    );
    const fourth = await dev.port(4);
    assert.match(dev.output(), /404\.html changed: restarting/);
    assert.match(await get(fourth, "/nope"), /edited 404 page/);

    // The code changes (a touch is enough: the watcher sees the file written).
    const code = join(REPO, "lib", "util", "bytes.ts");
    const now = new Date();
    Deno.utimeSync(code, now, now);
    await dev.port(5);
    assert.match(dev.output(), /lib\/util\/bytes\.ts changed: restarting/);
  } finally {
    assert.equal(await dev.stop(), 0);
  }
  const last = [...dev.output().matchAll(/listening on http:\/\/127\.0\.0\.1:(\d+)/g)].pop()![1];
  await assert.rejects(
    () => Deno.connect({ hostname: "127.0.0.1", port: Number(last) }),
    "the server stopped with it",
  );
});

Deno.test("deno task dev colours a terminal, unless NO_COLOR is set", async () => {
  for (const noColor of [false, true]) {
    const { config } = setup();
    const dev = startDev(config, noColor ? { NO_COLOR: "1" } : {}, true);
    try {
      const port = await dev.port(1);
      await get(port, "/hello.txt");
      await eventually(() => /GET \/hello\.txt/.test(dev.output()), 5000, "the request line");
      if (noColor) assert.ok(!dev.output().includes("\x1b["));
      else assert.ok(dev.output().includes("\x1b[32m200\x1b[39m GET /hello.txt"));
    } finally {
      await dev.stop();
    }
  }
});
