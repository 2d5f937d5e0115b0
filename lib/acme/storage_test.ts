import assert from "node:assert/strict";
import { join } from "node:path";
import { AcmeStorage, readCaBundle } from "./storage.ts";

function withDir(f: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const mode = (p: string) => (Deno.statSync(p).mode ?? 0) & 0o777;

Deno.test("AcmeStorage.prepare() makes the folder for its owner only, and refuses one open to others", () => {
  withDir((dir) => {
    const s = new AcmeStorage(join(dir, "acme", "deep"));
    assert.equal(s.prepare(), null);
    assert.equal(mode(s.dir), 0o700);
    assert.equal(s.prepare(), null, "an existing folder of ours is fine");
    Deno.chmodSync(s.dir, 0o755);
    assert.match(s.prepare() ?? "", /is open to other users \(mode 755\).*chmod 700/);
    Deno.writeTextFileSync(join(dir, "file"), "");
    assert.match(new AcmeStorage(join(dir, "file")).prepare() ?? "", /not a folder|cannot create/);
  });
});

Deno.test("AcmeStorage writes the pair and the account key with mode 0600, key first, leaving no temp file", () => {
  withDir((dir) => {
    const s = new AcmeStorage(dir);
    assert.equal(s.readPair(), null);
    assert.equal(s.readAccountKey(), null);
    const old = Deno.umask(0o000); // even with a umask that lets everything through
    try {
      s.writePair({ cert: "CHAIN 1", key: "KEY 1" });
      s.writeAccountKey("ACCOUNT");
    } finally {
      Deno.umask(old);
    }
    assert.deepEqual(s.readPair(), { cert: "CHAIN 1", key: "KEY 1" });
    assert.equal(s.readAccountKey(), "ACCOUNT");
    for (const f of ["certificate.pem", "key.pem", "account.key"]) {
      assert.equal(mode(join(dir, f)), 0o600, f);
    }
    const ino = Deno.statSync(join(dir, "certificate.pem")).ino;
    s.writePair({ cert: "CHAIN 2", key: "KEY 2" });
    assert.deepEqual(s.readPair(), { cert: "CHAIN 2", key: "KEY 2" });
    assert.notEqual(
      Deno.statSync(join(dir, "certificate.pem")).ino,
      ino,
      "renamed over, not rewritten",
    );
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["account.key", "certificate.pem", "key.pem"],
    );
  });
});

Deno.test("AcmeStorage.readPair() needs both files", () => {
  withDir((dir) => {
    Deno.writeTextFileSync(join(dir, "certificate.pem"), "CHAIN");
    assert.equal(new AcmeStorage(dir).readPair(), null);
  });
});

Deno.test("readCaBundle() reads ACMECA, and says why it cannot", () => {
  withDir((dir) => {
    assert.equal(readCaBundle(""), "");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    Deno.writeTextFileSync(join(dir, "ca.pem"), pem);
    assert.equal(readCaBundle(join(dir, "ca.pem")), pem);
    Deno.writeTextFileSync(join(dir, "key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    assert.throws(() => readCaBundle(join(dir, "key.pem")), /holds no PEM certificate/);
    assert.throws(() => readCaBundle(join(dir, "missing.pem")), /cannot read ".*missing.pem"/);
  });
});
