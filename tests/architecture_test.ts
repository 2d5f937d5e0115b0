/**
 * The layering of lib/ (README "How it works"), checked by scanning imports: the protocol core
 * stays pure, adapters are the only files touching Deno's I/O, memjs and acme-client have one
 * importer each.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { REPO } from "./helpers/server.ts";
import { relative } from "node:path";

interface Source {
  readonly path: string; // relative to lib/
  readonly imports: string[]; // resolved relative to lib/, or bare specifiers
  readonly text: string;
}

function sources(): Source[] {
  const out: Source[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const text = Deno.readTextFileSync(p);
        const imports = [...text.matchAll(/^(?:import|export)[^;]*? from "([^"]+)";/gms)].map(
          (m) => {
            const spec = m[1]!;
            return spec.startsWith(".") ? relative(join(REPO, "lib"), join(dir, spec)) : spec;
          },
        );
        out.push({ path: relative(join(REPO, "lib"), p), imports, text });
      }
    }
  };
  walk(join(REPO, "lib"));
  return out;
}

const SRC = sources();

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
}
const layer = (p: string) => p.split("/")[0]!;
const TEST_SUPPORT = /(^|\/)(test_[a-z_]+|memory_fs)\.ts$/;

/** Which lib/ layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  util: [], // small helpers (maps, bytes), usable by every layer
  http: ["util"],
  config: ["util"],
  auth: ["util"],
  log: ["config", "util"], // LogLevel type only
  pages: ["http", "util"],
  session: ["http", "config", "util"],
  static: ["http", "pages", "auth", "util"],
  acme: ["config", "pages", "util"], // pages: the status view's type only
  server: ["http", "config", "log", "pages", "session", "static", "auth", "acme", "util"],
};

Deno.test("lib/ layers import only the layers below them, and nothing imports server/", () => {
  for (const s of SRC) {
    const own = layer(s.path);
    for (const i of s.imports) {
      if (!i.endsWith(".ts") || i.startsWith("npm:")) continue;
      const other = layer(i);
      if (other === own) continue;
      assert.ok((ALLOWED[own] ?? []).includes(other), `${s.path} imports ${i}`);
    }
  }
});

Deno.test("the protocol core (lib/http) is pure: no Deno I/O, no async", () => {
  for (const s of SRC.filter((s) => layer(s.path) === "http" && !TEST_SUPPORT.test(s.path))) {
    const code = withoutComments(s.text);
    assert.ok(!/\bDeno\./.test(code), `${s.path} uses Deno`);
    assert.ok(!/\basync\b|\bawait\b/.test(code), `${s.path} is async`);
  }
});

Deno.test("only adapter files touch Deno's file and network APIs", () => {
  const adapters = new Set([
    "static/deno_fs.ts",
    "static/folder_write.ts", // the folder lock (Deno.open of the folder, then FsFile.lock)
    "static/posix.ts", // realPath of an absolute symlink (see Beneath.open)
    "log/log_writer.ts",
    "static/upload_sweep.ts",
    "server/listener.ts",
    "server/site.ts",
    "server/worker_main.ts",
    "server/lifecycle.ts", // error page templates, read once per generation
    "server/reload_status.ts", // the reload outcome for systemd's ExecReload
    "server/sd_notify.ts", // the datagram socket to systemd
    "server/preflight.ts", // --check-config: stats, lists and reads what start-up will use
    "server/tls_material.ts", // reads TLSCertificate and TLSKey (main thread)
    "server/tls_listener.ts", // Deno.listenTls
    "acme/storage.ts",
  ]);
  const io =
    /\bDeno\.(open|readFile|readTextFile|writeFile|writeTextFile|stat|lstat|realPath|readDir|remove|rename|mkdir|listen|listenTls|connect|Command)(Sync)?\b/;
  for (const s of SRC) {
    const code = withoutComments(s.text); // comments may mention them
    if (io.test(code)) assert.ok(adapters.has(s.path), `${s.path} does I/O`);
  }
});

Deno.test("memjs is imported by session/memcached_store.ts only", () => {
  const users = SRC.filter((s) =>
    s.imports.some((i) => i === "memjs" || i.startsWith("npm:memjs"))
  );
  assert.deepEqual(users.map((s) => s.path), ["session/memcached_store.ts"]);
});

Deno.test("acme-client is imported by acme/acme_client.ts only, and loaded only with ACME On", () => {
  const users = SRC.filter((s) =>
    s.imports.some((i) => i === "acme-client" || i.startsWith("npm:acme-client"))
  );
  assert.deepEqual(users.map((s) => s.path), ["acme/acme_client.ts"]);
  // Everything else reaches it through a dynamic import, so a server without ACME never loads
  // it (nor axios, node-forge and the rest).
  const valueImport = /^import (?!type\b)[^;]*? from "[^"]*acme_client\.ts";/ms;
  for (const s of SRC) assert.ok(!valueImport.test(s.text), `${s.path} imports acme_client.ts`);
});

Deno.test("files are opened only by the Deno FileSystem (and the log sink), never beside it", () => {
  // The FileSystem port keeps paths inside the root and checks what it opened; log_writer.ts
  // appends to the configured log files, which are not served.
  const openers = new Set(["static/deno_fs.ts", "static/folder_write.ts", "log/log_writer.ts"]);
  for (const s of SRC) {
    const code = withoutComments(s.text);
    if (/\bDeno\.(open|openSync|create|createSync)\s*\(/.test(code)) {
      assert.ok(openers.has(s.path), `${s.path} opens a file`);
    }
  }
});

Deno.test("files are opened without Deno's blocking open: node:fs and FFI only in the FileSystem port", () => {
  // The FileSystem port opens with O_NONBLOCK through node:fs (Deno.open has no such flag) and
  // checks paths with openat2 through posix.ts; anywhere else these would bypass its checks.
  // The other FFI user, server/libc.ts, sets socket options Deno has no API for (TCP_NODELAY on
  // TLS listeners, shutting down a stalled handshake's socket).
  const nodeFs = new Set(["static/deno_fs.ts", "static/folder_write.ts", "static/node_file.ts"]);
  const ffi = new Set(["static/posix.ts", "server/libc.ts"]);
  for (const s of SRC) {
    if (s.imports.some((i) => i === "node:fs" || i === "node:fs/promises")) {
      assert.ok(nodeFs.has(s.path), `${s.path} imports node:fs`);
    }
    if (/\bDeno\.(dlopen|UnsafePointer)/.test(withoutComments(s.text))) {
      assert.ok(ffi.has(s.path), `${s.path} uses FFI`);
    }
  }
});

Deno.test("only server/conn_transport.ts touches Deno's internals", () => {
  for (const s of SRC) {
    const code = withoutComments(s.text);
    if (/\bDeno\.internal\b|\bDeno\s*\[|internalRidSymbol/.test(code)) {
      assert.equal(s.path, "server/conn_transport.ts", `${s.path} touches Deno's internals`);
    }
  }
});

Deno.test("only server/tls_listener.ts listens for TLS", () => {
  for (const s of SRC) {
    const code = withoutComments(s.text);
    if (/\bDeno\.listenTls\b/.test(code)) {
      assert.equal(s.path, "server/tls_listener.ts", `${s.path} opens a TLS listener`);
    }
  }
});

Deno.test("the pipeline and its stages know nothing of HTTP/1.1 framing or sockets", () => {
  const stages = [
    "server/pipeline.ts",
    "server/https_redirect.ts",
    "server/request.ts",
    "server/sessions.ts",
    "server/status_endpoint.ts",
    "server/request_counters.ts",
    "server/site.ts",
  ];
  const wire = [
    "server/connection.ts",
    "server/response_writer.ts",
    "server/body_writer.ts",
    "server/transport.ts",
    "server/conn_transport.ts",
    "server/body_reader.ts",
    "http/framing.ts",
    "http/keep_alive.ts",
    "http/request_parser.ts",
  ];
  const byPath = new Map(SRC.map((s) => [s.path, s]));
  for (const path of stages) {
    const s = byPath.get(path);
    assert.ok(s, `${path} exists`);
    for (const i of s.imports) assert.ok(!wire.includes(i), `${path} imports ${i}`);
  }
  // static/ (the responder and the memo) is below server/ already; it must not name framing.
  for (const s of SRC.filter((s) => layer(s.path) === "static")) {
    for (const i of s.imports) assert.ok(!wire.includes(i), `${s.path} imports ${i}`);
    const code = withoutComments(s.text);
    assert.ok(!/Transfer-Encoding|"Connection"/.test(code), `${s.path} writes framing fields`);
  }
});

Deno.test("the PROXY protocol parser and the client-address rules are pure: no Deno, no async", () => {
  for (
    const path of ["server/proxy_protocol.ts", "server/client_address.ts", "server/ip_allow.ts"]
  ) {
    const s = SRC.find((s) => s.path === path);
    assert.ok(s, `${path} exists`);
    const code = withoutComments(s.text);
    assert.ok(!/\bDeno\./.test(code), `${path} uses Deno`);
    assert.ok(!/\basync\b|\bawait\b/.test(code), `${path} is async`);
  }
});

Deno.test("lib/ never imports the command-line tools (tools/) or the tests", () => {
  for (const s of SRC) {
    for (const i of s.imports) {
      assert.ok(!i.startsWith("../tools/") && !i.startsWith("../tests/"), `${s.path} imports ${i}`);
    }
  }
});
