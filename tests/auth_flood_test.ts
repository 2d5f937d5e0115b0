/**
 * Black-box test of the limits on password checks (lib/auth/password_gate.ts) over real sockets:
 * a flood of wrong passwords from one client is answered 429 without hashing, the server hashes
 * a bounded number of times, and other clients (other loopback addresses) are still served.
 */
import assert from "node:assert/strict";
import { passwordLine } from "../lib/auth/password_file.ts";
import { assertEquals } from "../lib/http/test_assert.ts";
import { exchangeFrom, RawClient } from "./helpers/from_address.ts";
import { join } from "./helpers/paths.ts";
import { startServer, statusOf, tempDir } from "./helpers/server.ts";

/** Concurrent connections of the flooding client, each sending the next guess at once. */
const FLOODERS = 48;
/** Generous bound on the GET median during the flood (see the note at the assertion). */
const PROMPT_MS = 500;

const basic = (user: string, password: string) => "Basic " + btoa(`${user}:${password}`);

/** Whether a whole response arrived on `c` after character `at` (bodies end with a newline). */
const answered = (c: RawClient, at: number) =>
  c.received.indexOf("HTTP/1.1 ", at) >= 0 && c.received.endsWith("\n");

/** One flooding connection: guess, wait for the answer, guess again, until told to stop. */
async function floodFrom(
  port: number,
  stop: { now: boolean },
  statuses: number[],
  guess: () => string,
): Promise<void> {
  const c = await RawClient.connect(port, "127.0.0.1");
  try {
    while (!stop.now && !c.closed) {
      const at = c.received.length;
      await c.send(
        `PUT /f.txt HTTP/1.1\r\nHost: a\r\nAuthorization: ${basic("alice", guess())}\r\n` +
          "Content-Length: 1\r\n\r\nx",
      );
      if (!(await c.until((x) => x.closed || answered(x, at), 30_000))) break;
      const answer = c.received.slice(at);
      statuses.push(statusOf(answer));
      if (statusOf(answer) === 429) assert.match(answer, /\r\nRetry-After: [1-9]\d*\r\n/);
    }
  } finally {
    c.close();
  }
}

/** GET /hello.txt from 127.0.0.2 on one keep-alive connection, `n` times; the times in ms. */
async function timedGets(port: number, n: number): Promise<number[]> {
  const c = await RawClient.connect(port, "127.0.0.2");
  const ms: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const at = c.received.length;
      const t0 = performance.now();
      await c.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.ok(await c.until((x) => answered(x, at), 30_000));
      ms.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    c.close();
  }
  return ms.sort((a, b) => a - b);
}

Deno.test("a flood of wrong passwords gets 429 without hashing, and other clients are served promptly", async () => {
  const dir = tempDir();
  const pw = join(dir, "passwords");
  Deno.writeTextFileSync(pw, `${await passwordLine("alice", "right")}\n`); // 600 000 iterations
  // 2 checks per second per client for the instance: 1 per worker, with 2 workers.
  const s = await startServer({
    workers: 2,
    conf: { WriteAccess: "On", PasswordFile: pw, AuthAttemptsPerSecond: "2" },
  });
  const stop = { now: false };
  const statuses: number[] = [];
  let n = 0;
  let elapsedS = 0;
  let gets: number[] = [];
  try {
    const t0 = performance.now();
    const flood = Array.from(
      { length: FLOODERS },
      () => floodFrom(s.port, stop, statuses, () => `guess-${n++}`),
    );
    await new Promise((r) => setTimeout(r, 300)); // the flood is under way
    gets = await timedGets(s.port, 25);
    // The right password from another client gets through while the flood goes on.
    const legit = await exchangeFrom(
      s.port,
      "127.0.0.3",
      `PUT /legit.txt HTTP/1.1\r\nHost: a\r\nAuthorization: ${basic("alice", "right")}\r\n` +
        "Content-Length: 2\r\nConnection: close\r\n\r\nok",
      30_000,
    );
    assertEquals(statusOf(legit), 201, legit.slice(0, 200));
    stop.now = true;
    await Promise.all(flood);
    elapsedS = (performance.now() - t0) / 1000;
  } finally {
    stop.now = true;
    assertEquals(await s.stop(), 0);
  }
  const count = (status: number) => statuses.filter((x) => x === status).length;
  assert.ok(count(429) > 0, `no 429 among ${statuses.length} answers`);
  assertEquals(count(429) + count(401), statuses.length, "only 401 and 429");
  // Each worker starts at most 1 check a second for this client (a bucket of 1, refilled at
  // 1/s), so over the flood the server hashed at most 2 × (seconds + 1) wrong guesses: the
  // error.log has one line per hashed failure.
  const hashed = s.readLog("error.log").split("\n").filter((l) => l.includes("wrong password"));
  assert.ok(hashed.length > 0, "some guesses were checked");
  assert.ok(
    hashed.length <= 2 * (Math.ceil(elapsedS) + 1),
    `${hashed.length} hashes in ${elapsedS.toFixed(1)} s (${statuses.length} guesses)`,
  );
  assertEquals(hashed.length, count(401));
  // Prompt: the flood costs the server at most 2 hashes a second; everything else it sends is
  // answered 429 in microseconds, as cheap as any other flood of 48 connections. The median
  // measured 40-65 ms with load averages of 14-20 on 2 cores (other suites running; the test's
  // own 48 sockets share its event loop with the timed client), 1-2 ms without the flood; with
  // every guess hashed at once (no gate) it was 2256 ms. The bound is 8× the worst seen with
  // the gate and under a quarter of the failure.
  const p50 = gets[Math.floor(gets.length / 2)]!;
  assert.ok(p50 < PROMPT_MS, `GET median ${p50.toFixed(1)} ms during the flood`);
});
