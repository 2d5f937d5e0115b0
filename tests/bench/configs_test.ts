import assert from "node:assert/strict";
import { editConf, nginxConf, oursConf } from "./configs.ts";

const SHIPPED = Deno.readTextFileSync(new URL("../../http.conf", import.meta.url));

function values(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (/^\s*\[/.test(line)) break;
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
    if (m) out.set(m[1] ?? "", m[2] ?? "");
  }
  return out;
}

Deno.test("editConf() replaces the value of a key and keeps everything else", () => {
  const text = "; c\nListen = 0.0.0.0:8080\n  Workers=auto ; x\n[S]\nListen = no\n";
  assert.equal(
    editConf(text, { Listen: "127.0.0.1:0", Workers: "2" }),
    "; c\nListen = 127.0.0.1:0\n  Workers = 2\n[S]\nListen = no\n",
  );
});

Deno.test("editConf() fails naming a key that is missing or given twice", () => {
  const missing = editConf("Listen = 1\n", { DocumentRoot: "/x" });
  assert.ok(missing instanceof Error);
  assert.match(missing.message, /"DocumentRoot" occurs 0 times/);
  const twice = editConf("Listen = 1\nListen = 2\n", { Listen: "3" });
  assert.ok(twice instanceof Error);
  assert.match(twice.message, /"Listen" occurs 2 times/);
});

Deno.test("oursConf() changes only address, folders, logs and the per-client limit of the bundled http.conf", () => {
  const conf = oursConf(SHIPPED, {
    docRoot: "/t/www",
    logDir: "/t/logs",
    errorPages: "/repo/error",
    sessions: true,
    tls: null,
  });
  assert.ok(typeof conf === "string");
  const before = values(SHIPPED);
  const after = values(conf);
  const changed = [...before.keys()].filter((k) => before.get(k) !== after.get(k));
  assert.deepEqual(changed.sort(), [
    "AccessLog",
    "DocumentRoot",
    "ErrorLog",
    "ErrorPages",
    "Listen",
    "MaxConnectionsPerClient",
  ]);
  assert.equal(after.get("Listen"), "127.0.0.1:0");
  assert.equal(after.get("AccessLog"), "/t/logs/access.log");
  assert.equal(after.get("Sessions"), before.get("Sessions"));
});

Deno.test("oursConf() turns sessions off for the sessions-off variant", () => {
  const opts = { docRoot: "/w", logDir: "/l", errorPages: "/e", sessions: false, tls: null };
  const conf = oursConf(SHIPPED, opts);
  assert.ok(typeof conf === "string");
  assert.equal(values(conf).get("Sessions"), "Off");
});

Deno.test("nginxConf() matches workers, port, root and logs, with open_file_cache only when tuned", () => {
  const o = {
    workers: 4,
    port: 8081,
    docRoot: "/t/www",
    dir: "/t/ng",
    workerConnections: 11024,
    tls: null,
  };
  const plain = nginxConf({ ...o, tuned: false });
  for (
    const line of [
      "worker_processes 4;",
      "daemon off;",
      "master_process on;",
      "pid /t/ng/nginx.pid;",
      "error_log /t/ng/error.log;",
      "events { worker_connections 11024; }",
      "    sendfile on;",
      "    access_log /t/ng/access.log combined;",
      "    keepalive_requests 1000;",
      "        listen 127.0.0.1:8081;",
      "        root /t/www;",
    ]
  ) assert.ok(plain.split("\n").includes(line), line);
  assert.doesNotMatch(plain, /open_file_cache/);
  const tuned = nginxConf({ ...o, tuned: true });
  assert.match(tuned, /open_file_cache max=1000 inactive=20s;\n\s*open_file_cache_valid 1s;/);
});

Deno.test("oursConf() and nginxConf() serve HTTPS with the bench's certificate when asked", () => {
  const tls = { cert: "/t/tls/leaf.pem", key: "/t/tls/leaf.key" };
  const conf = oursConf(SHIPPED, {
    docRoot: "/w",
    logDir: "/l",
    errorPages: "/e",
    sessions: true,
    tls,
  });
  assert.ok(typeof conf === "string");
  const v = values(conf);
  assert.equal(v.get("TLSListen"), "127.0.0.1:0");
  assert.equal(v.get("TLSCertificate"), tls.cert);
  assert.equal(v.get("TLSKey"), tls.key);
  const ng = nginxConf({
    workers: 2,
    port: 8081,
    docRoot: "/w",
    dir: "/n",
    tuned: false,
    workerConnections: 1024,
    tls: { ...tls, port: 8443 },
  }).split("\n");
  for (
    const line of [
      "        listen 127.0.0.1:8081;",
      "        listen 127.0.0.1:8443 ssl;",
      "        ssl_certificate /t/tls/leaf.pem;",
      "        ssl_certificate_key /t/tls/leaf.key;",
      "        ssl_protocols TLSv1.2 TLSv1.3;",
    ]
  ) assert.ok(ng.includes(line), line);
});

Deno.test("editConf() skips an optional key the text lacks, and still refuses a missing required one", () => {
  const text = "Listen = 0.0.0.0:8080\n";
  assert.equal(
    editConf(
      text,
      { Listen: "127.0.0.1:0", MaxConnectionsPerClient: "9" },
      new Set(["MaxConnectionsPerClient"]),
    ),
    "Listen = 127.0.0.1:0\n",
  );
  assert.ok(editConf(text, { Listen: "x", Other: "y" }) instanceof Error);
});
