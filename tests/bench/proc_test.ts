import assert from "node:assert/strict";
import { descendants, parseOpenFilesLimit, parsePpids, parseStatPpid, parseVmRss } from "./proc.ts";

Deno.test("parseVmRss() reads the VmRSS line in KiB", () => {
  assert.equal(
    parseVmRss("Name:\tdeno\nVmPeak:\t 9 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n"),
    51234,
  );
  assert.equal(parseVmRss("Name:\tzombie\nState:\tZ (zombie)\n"), null);
});

Deno.test("parseStatPpid() counts fields after the last parenthesis of the name", () => {
  assert.equal(parseStatPpid("42 (nginx) S 41 41 41 0 -1"), 41);
  assert.equal(parseStatPpid("43 (a) b (c) R 7 43 43 0"), 7);
  assert.equal(parseStatPpid("garbage"), null);
});

Deno.test("parsePpids() and descendants() find a process tree", () => {
  const ppids = parsePpids(
    ["1 (init) S 0 1", "10 (nginx) S 1 10", "11 (nginx) S 10 10", "12 (nginx) S 10 10"]
      .concat(["13 (x) S 11 10", "20 (other) S 1 20", ""]).join("\n"),
  );
  assert.deepEqual(descendants(10, ppids).sort((a, b) => a - b), [10, 11, 12, 13]);
  assert.deepEqual(descendants(20, ppids), [20]);
});

Deno.test("parseOpenFilesLimit() reads soft and hard limits", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units     \n" +
    "Max open files            20000                20000                files     \n";
  assert.deepEqual(parseOpenFilesLimit(text), { soft: 20000, hard: 20000 });
  assert.deepEqual(
    parseOpenFilesLimit(
      "Max open files            1024                 unlimited            files",
    ),
    { soft: 1024, hard: Infinity },
  );
  assert.equal(parseOpenFilesLimit("Max processes 1 1 processes"), null);
});
