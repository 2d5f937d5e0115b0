import assert from "node:assert/strict";
import { PasswordGate } from "./password_gate.ts";

function gate(o: { attempts?: number; memoryMs?: number; maxChecks?: number } = {}) {
  const clock = { now: 1_000_000 };
  const g = new PasswordGate({
    attemptsPerSecond: o.attempts ?? 2,
    failureMemoryMs: o.memoryMs ?? 30_000,
    maxChecks: o.maxChecks ?? 10,
    now: () => clock.now,
  });
  return { g, clock };
}

const ok = () => Promise.resolve(true);

Deno.test("PasswordGate lets a client start attemptsPerSecond checks, then answers throttled until it refills", async () => {
  const { g, clock } = gate({ attempts: 2 });
  let hashed = 0;
  const hash = () => {
    hashed++;
    return Promise.resolve(false);
  };
  assert.equal((await g.run("a", hash) as { value: boolean }).value, false);
  await g.run("a", hash);
  const r1 = await g.run("a", hash);
  assert.deepEqual(r1, { kind: "throttled", retryAfterS: 1, first: true });
  assert.deepEqual(await g.run("a", hash), { kind: "throttled", retryAfterS: 1, first: false });
  assert.equal(hashed, 2, "refused checks do not hash");
  assert.ok("value" in await g.run("b", hash), "another client has its own allowance");
  clock.now += 499; // 0.998 of an attempt back
  assert.equal((await g.run("a", hash) as { kind: string }).kind, "throttled");
  clock.now += 1;
  assert.ok("value" in await g.run("a", hash));
  clock.now += 10_000; // never more than attemptsPerSecond banked
  for (let i = 0; i < 2; i++) assert.ok("value" in await g.run("a", hash));
  assert.deepEqual(await g.run("a", hash), { kind: "throttled", retryAfterS: 1, first: true });
});

Deno.test("PasswordGate gives a success's attempt back", async () => {
  const { g } = gate({ attempts: 1 });
  for (let i = 0; i < 5; i++) {
    const r = await g.run("a", ok);
    assert.ok("value" in r);
    r.refund();
  }
  const fail = await g.run("a", () => Promise.resolve(false));
  assert.ok("value" in fail);
  assert.equal((await g.run("a", ok) as { kind: string }).kind, "throttled");
});

Deno.test("PasswordGate hashes one at a time and answers busy beyond maxChecks", async () => {
  const { g } = gate({ attempts: 100, maxChecks: 3 });
  let running = 0;
  let most = 0;
  const release: Array<() => void> = [];
  const slow = () => {
    running++;
    most = Math.max(most, running);
    return new Promise<boolean>((r) =>
      release.push(() => {
        running--;
        r(false);
      })
    );
  };
  const first = [g.run("a", slow), g.run("b", slow), g.run("c", slow)];
  assert.equal(g.pending, 3);
  assert.deepEqual(await g.run("d", slow), { kind: "busy", retryAfterS: 1, first: true });
  assert.deepEqual(await g.run("e", slow), { kind: "busy", retryAfterS: 1, first: false });
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(release.length, 1, "the next hash starts only when the last one ended");
    release.shift()!();
    await first[i];
  }
  assert.equal(most, 1);
  assert.equal(g.pending, 0);
});

Deno.test("PasswordGate keeps hashing after a hash that throws", async () => {
  const { g } = gate();
  await assert.rejects(g.run("a", () => Promise.reject(new Error("boom"))));
  assert.equal(g.pending, 0);
  assert.ok("value" in await g.run("a", ok));
});

Deno.test("PasswordGate remembers failed credentials for failureMemoryMs (0: never)", () => {
  const { g, clock } = gate({ memoryMs: 1000 });
  assert.equal(g.failedRecently("k"), false);
  g.rememberFailure("k");
  assert.equal(g.failedRecently("k"), true);
  clock.now += 999;
  assert.equal(g.failedRecently("k"), true);
  clock.now += 1;
  assert.equal(g.failedRecently("k"), false);
  const off = gate({ memoryMs: 0 }).g;
  off.rememberFailure("k");
  assert.equal(off.failedRecently("k"), false);
});
