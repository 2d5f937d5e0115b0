import assert from "node:assert/strict";
import { covers, isBetter, isDue, renewAtMs, retryDelayMs } from "./schedule.ts";

const DAY = 86_400_000;
/** A Let's Encrypt-like certificate: 90 days from day 0. */
const cert = (names: string[], from = 0, days = 90) => ({
  names,
  notBeforeMs: from,
  notAfterMs: from + days * DAY,
  issuer: "R11",
});

Deno.test("renewAtMs() is a third of the lifetime before expiry: day 60 of 90", () => {
  assert.equal(renewAtMs(cert(["a.org"])), 60 * DAY);
  assert.equal(renewAtMs(cert(["a.org"], 5 * DAY, 6)), 9 * DAY);
  // A certificate whose notBefore is after its notAfter is renewed at expiry, not before it.
  assert.equal(renewAtMs({ ...cert(["a.org"]), notBeforeMs: 100 * DAY }), 90 * DAY);
});

Deno.test("isDue() orders when there is none, a name is missing, or renewal time came", () => {
  const c = cert(["a.org", "www.a.org"]);
  assert.equal(isDue(null, ["a.org"], 0), true);
  assert.equal(isDue(c, ["a.org", "www.a.org"], 60 * DAY - 1), false);
  assert.equal(isDue(c, ["a.org", "www.a.org"], 60 * DAY), true);
  assert.equal(isDue(c, ["a.org"], 0), false, "a subset of its names is covered");
  assert.equal(isDue(c, ["a.org", "b.org"], 0), true, "a name was added to ACMEDomains");
  assert.equal(covers({ ...c, names: ["A.ORG", "www.a.org"] }, ["a.org"]), true);
});

Deno.test("isBetter() takes another instance's certificate only when it covers, is fresh and lasts longer", () => {
  const mine = cert(["a.org"]);
  const newer = cert(["a.org"], 61 * DAY);
  assert.equal(isBetter(newer, null, ["a.org"], 61 * DAY), true);
  assert.equal(isBetter(newer, mine, ["a.org"], 61 * DAY), true);
  assert.equal(isBetter(mine, mine, ["a.org"], 10 * DAY), false, "the same one is not better");
  assert.equal(isBetter(mine, null, ["a.org"], 60 * DAY), false, "itself due for renewal");
  assert.equal(isBetter(cert(["b.org"], 61 * DAY), mine, ["a.org"], 61 * DAY), false);
  assert.equal(isBetter(mine, cert(["b.org"]), ["a.org"], 0), true, "ours lacks a name");
});

Deno.test("retryDelayMs() doubles from ACMERetry and stops at ACMERetryMax", () => {
  const m = 60_000;
  const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, 10 * m, 12 * 60 * m));
  assert.deepEqual(waits, [10, 20, 40, 80, 160, 320, 640, 720].map((x) => x * m));
  assert.equal(retryDelayMs(10_000, 1000, 5000), 5000, "no overflow after many failures");
  assert.equal(retryDelayMs(0, 1000, 5000), 1000);
});
