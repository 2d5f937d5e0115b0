/**
 * Preconditions between concurrent writers (issue 19, item 3): two PUTs carrying the same
 * validator race; exactly one may commit, the other must get 412 (RFC 9110 §13.1, lost update).
 * Two workers, real sockets, real files, many rounds.
 */
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import { headerOf, type RawResponse, send } from "./helpers/raw_http.ts";
import { BLACK_BOX, writableServer, WRITER } from "./helpers/writable.ts";

const ROUNDS = 40;
/** Big enough that both bodies are still arriving when the first one commits. */
const BODY = 64 * 1024;

function body(tag: string): Uint8Array {
  return new TextEncoder().encode(tag.padEnd(BODY, "."));
}

/** Two requests sent at once on two connections; their statuses, sorted. */
async function race(make: (i: number) => Promise<RawResponse>): Promise<number[]> {
  const rs = await Promise.all([make(0), make(1)]);
  return rs.map((r) => r.status).sort();
}

Deno.test({
  name: "two PUTs with the same If-Match: exactly one gets 204, the other 412, in every round",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer({ Workers: "2" });
    try {
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const base = await send(s.port, "/race.txt", {
          method: "PUT",
          headers: WRITER,
          body: body(`round ${round}`),
        });
        assert.ok(base.status === 201 || base.status === 204, `setup PUT: ${base.status}`);
        const etag = headerOf(base, "etag")!;
        const got = await race((i) =>
          send(s.port, "/race.txt", {
            method: "PUT",
            headers: { ...WRITER, "If-Match": etag },
            body: body(`round ${round} writer ${i}`),
          })
        );
        outcomes.push(got.join("+"));
        const text = Deno.readTextFileSync(join(s.root, "race.txt"));
        assert.match(text, new RegExp(`^round ${round} writer [01]\\.`), "a winner's body");
      }
      assert.deepEqual(new Set(outcomes), new Set(["204+412"]), outcomes.join(" "));
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "two creating PUTs with If-None-Match: * : exactly one gets 201, the other 412",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer({ Workers: "2" });
    try {
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const got = await race((i) =>
          send(s.port, `/new-${round}.txt`, {
            method: "PUT",
            headers: { ...WRITER, "If-None-Match": "*" },
            body: body(`writer ${i}`),
          })
        );
        outcomes.push(got.join("+"));
      }
      assert.deepEqual(new Set(outcomes), new Set(["201+412"]), outcomes.join(" "));
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "a DELETE and a PUT with the same If-Match: exactly one of them wins",
  ignore: !BLACK_BOX,
  async fn() {
    const { s, cleanup } = await writableServer({ Workers: "2" });
    try {
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS / 2; round++) {
        const base = await send(s.port, "/doomed.txt", {
          method: "PUT",
          headers: WRITER,
          body: body(`round ${round}`),
        });
        const etag = headerOf(base, "etag")!;
        const got = await race((i) =>
          send(s.port, "/doomed.txt", {
            method: i === 0 ? "PUT" : "DELETE",
            headers: { ...WRITER, "If-Match": etag },
            ...(i === 0 ? { body: body("put") } : {}),
          })
        );
        outcomes.push(got.join("+"));
      }
      assert.deepEqual(new Set(outcomes), new Set(["204+412"]), outcomes.join(" "));
    } finally {
      await cleanup();
    }
  },
});
