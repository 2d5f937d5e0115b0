import assert from "node:assert/strict";
import { join } from "node:path";
import { makeLeaf, makePki, type TestPki } from "../../tests/helpers/tls.ts";
import type { FromWorker } from "./messages.ts";
import { SETTLE_MS, TlsCertificates } from "./tls_certificates.ts";
import type { TlsMaterial } from "./tls_material.ts";

/** Replace a file at once, as renewal tools do. */
function replace(from: string, to: string): void {
  Deno.copyFileSync(from, to + ".new");
  Deno.renameSync(to + ".new", to);
}

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rig {
  readonly pki: TestPki;
  readonly live: { certificate: string; key: string };
  readonly certs: TlsCertificates;
  readonly sent: TlsMaterial[];
  readonly logs: string[];
  readonly announced: string[];
  reply(id: number, m: TlsMaterial, error?: string | null): void;
}

async function rig(o: { mayBeAbsent?: boolean; install?: boolean } = {}): Promise<Rig> {
  const pki = await makePki();
  const live = { certificate: join(pki.dir, "live.pem"), key: join(pki.dir, "live.key") };
  if (o.install !== false) {
    replace(pki.cert, live.certificate);
    replace(pki.key, live.key);
  }
  const sent: TlsMaterial[] = [];
  const logs: string[] = [];
  const announced: string[] = [];
  const certs = new TlsCertificates({
    files: live,
    intervalMs: 50,
    mayBeAbsent: o.mayBeAbsent ?? false,
    where: "https://127.0.0.1:8443",
    workers: 2,
    send: (m) => sent.push(m),
    log: (level, message) => logs.push(`${level}: ${message}`),
    announce: (line) => announced.push(line),
  });
  const reply = (id: number, m: TlsMaterial, error: string | null = null) =>
    certs.onWorkerReply(
      { type: "tls", id, fingerprint: m.fingerprint, error, noDelay: 1 } satisfies FromWorker,
    );
  return { pki, live, certs, sent, logs, announced, reply };
}

Deno.test("TlsCertificates waits for a renewal's second file before it calls the pair broken, then sends it once", async () => {
  const r = await rig();
  try {
    r.certs.loadAtStart();
    const first = r.certs.current!;
    assert.deepEqual(first.names, ["localhost", "127.0.0.1"]);
    r.certs.start();
    const next = await makeLeaf(r.pki, "next", "next");
    replace(next.cert, r.live.certificate); // the key comes a little later
    await sleep(SETTLE_MS / 2);
    replace(next.key, r.live.key);
    await until(() => r.sent.length === 1, "the new pair sent");
    await sleep(SETTLE_MS + 200);
    assert.equal(r.sent.length, 1, "sent once");
    assert.deepEqual(
      r.logs.filter((l) => l.startsWith("error")),
      [],
      "no error for a pair in flight",
    );
    assert.equal(r.certs.current?.fingerprint, r.sent[0]!.fingerprint, "restarts get the new pair");
    r.reply(1, r.sent[0]!);
    assert.equal(r.logs.filter((l) => l.includes("now serves")).length, 0, "one worker of two");
    r.reply(2, r.sent[0]!);
    assert.match(
      r.logs.at(-1)!,
      /^notice: HTTPS now serves the certificate for localhost, 127\.0\.0\.1 \(/,
    );
    assert.deepEqual(r.announced, [], "HTTPS was up already");
  } finally {
    r.certs.stop();
  }
});

Deno.test("TlsCertificates keeps the pair in service when a new one stays broken, with one error line", async () => {
  const r = await rig();
  try {
    r.certs.loadAtStart();
    r.certs.start();
    const other = await makeLeaf(r.pki, "other", "other");
    replace(other.cert, r.live.certificate); // and the key never follows
    await until(() => r.logs.some((l) => l.startsWith("error")), "the error line");
    await sleep(SETTLE_MS + 300);
    const errors = r.logs.filter((l) => l.startsWith("error"));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(
      errors[0]!,
      /the key does not belong to the certificate; still serving the certificate for localhost/,
    );
    assert.equal(r.sent.length, 0);
    assert.equal(r.certs.view().problem.includes("does not belong"), true);
    r.certs.recheck("SIGHUP"); // the same problem, asked again: no second line
    assert.equal(r.logs.filter((l) => l.startsWith("error")).length, 1);
  } finally {
    r.certs.stop();
  }
});

Deno.test("TlsCertificates.recheck() reads at once; unchanged files are only noted", async () => {
  const r = await rig();
  r.certs.loadAtStart(); // no start(): nothing looks by itself
  r.certs.recheck("SIGHUP");
  assert.match(r.logs.at(-1)!, /^notice: SIGHUP: the TLS certificate files are unchanged$/);
  const next = await makeLeaf(r.pki, "next", "next");
  replace(next.cert, r.live.certificate);
  replace(next.key, r.live.key);
  r.certs.recheck("ACME");
  assert.equal(r.sent.length, 1);
  r.reply(1, r.sent[0]!, "InvalidData: unsupported key");
  r.reply(2, r.sent[0]!, "InvalidData: unsupported key");
  const errors = r.logs.filter((l) => l.startsWith("error"));
  assert.equal(errors.length, 1, "one line for all workers");
  assert.match(errors[0]!, /the workers cannot serve the new pair: InvalidData: unsupported key/);
  assert.notEqual(r.certs.current?.fingerprint, r.sent[0]!.fingerprint, "back to the one served");
});

Deno.test("TlsCertificates may start without its files and announces HTTPS when they arrive", async () => {
  const r = await rig({ mayBeAbsent: true, install: false });
  try {
    r.certs.loadAtStart();
    assert.equal(r.certs.current, null);
    assert.match(r.logs[0]!, /^notice: HTTPS waits for .*live\.pem/);
    r.certs.start();
    replace(r.pki.key, r.live.key); // the key alone: still waiting, quietly
    await sleep(SETTLE_MS + 300);
    assert.equal(r.sent.length, 0);
    assert.deepEqual(r.logs.filter((l) => l.startsWith("error")), []);
    replace(r.pki.cert, r.live.certificate);
    await until(() => r.sent.length === 1, "the pair sent");
    r.reply(1, r.sent[0]!);
    r.reply(2, r.sent[0]!);
    assert.deepEqual(r.announced, ["listening on https://127.0.0.1:8443"]);
    assert.equal(r.certs.view().certificate?.fingerprint, r.sent[0]!.fingerprint);
  } finally {
    r.certs.stop();
  }
});

Deno.test("TlsCertificates.loadAtStart() throws on a broken pair unless the certificate may come later", async () => {
  const r = await rig({ install: false });
  assert.throws(() => r.certs.loadAtStart(), /cannot read TLSCertificate/);
  const other = await makeLeaf(r.pki, "other", "other");
  replace(r.pki.cert, r.live.certificate);
  replace(other.key, r.live.key);
  assert.throws(() => r.certs.loadAtStart(), /the key does not belong to the certificate/);
});
