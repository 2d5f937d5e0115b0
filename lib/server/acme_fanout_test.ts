import assert from "node:assert/strict";
import { ChallengeFanout } from "./acme_fanout.ts";
import type { ToWorker } from "./messages.ts";

const T = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

function pool(running: number[]) {
  const sent: Array<[number, ToWorker]> = [];
  const fanout = new ChallengeFanout({
    ids: () => [1, 2, 3],
    ackTimeoutMs: 50,
    send: (id, m) => running.includes(id) && (sent.push([id, m]), true),
  });
  return { fanout, sent };
}

Deno.test("ChallengeFanout.present() resolves once every running worker acknowledged the token", async () => {
  const { fanout, sent } = pool([1, 3]); // worker 2 is being replaced
  let done = false;
  const p = fanout.present(T, `${T}.k`).then(() => (done = true));
  assert.deepEqual(sent.map(([id]) => id), [1, 3]);
  const m = sent[0]![1];
  assert.ok(m.type === "acme-challenge");
  assert.deepEqual({ token: m.token, keyAuthorization: m.keyAuthorization }, {
    token: T,
    keyAuthorization: `${T}.k`,
  });
  assert.deepEqual(fanout.tokens, { [T]: `${T}.k` }, "a replacement gets it in its start message");
  fanout.onMessage({ type: "acme-challenge-ack", id: 1, seq: m.seq });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(done, false, "worker 3 has not answered yet");
  fanout.onMessage({ type: "acme-challenge-ack", id: 3, seq: m.seq - 1 }); // an older message
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(done, false);
  fanout.onMessage({ type: "acme-challenge-ack", id: 3, seq: m.seq });
  await p;
  fanout.withdraw(T);
  assert.deepEqual(fanout.tokens, {});
  const w = sent.at(-1)![1];
  assert.ok(w.type === "acme-challenge" && w.keyAuthorization === null);
  // A withdrawal is not awaited: let its bound run out so no timer outlives the test.
  await new Promise((r) => setTimeout(r, 60));
});

Deno.test("ChallengeFanout.present() resolves without the acknowledgement of a worker that died", async () => {
  const { fanout } = pool([1]);
  await fanout.present(T, "k"); // no ack ever comes: the bound ends the wait
  const none = pool([]);
  await none.fanout.present(T, "k"); // no worker running: nothing to wait for
});
