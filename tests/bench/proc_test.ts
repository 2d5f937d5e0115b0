import assert from "node:assert/strict";
import {
  descendants,
  parseOpenFilesLimit,
  parsePpids,
  parseStatCpu,
  parseStatPpid,
  parseVmRss,
  sumCpuTicks,
  treeCpuTicks,
} from "./proc.ts";
import { eventually } from "../helpers/server.ts";

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

Deno.test("parseStatCpu() reads own (utime + stime) and waited-for children's ticks", () => {
  const line = "7 (sh (x) y) S 1 7 7 0 -1 4194304 90 12 0 0 12 3 400 50 20 0 1 0 55";
  assert.deepEqual(parseStatCpu(line), { own: 15, children: 450 });
  assert.equal(parseStatCpu("7 (sh) S 1 7"), null);
  assert.equal(parseStatCpu("nothing"), null);
});

Deno.test("sumCpuTicks() adds the listed processes only", () => {
  const stats = [
    "10 (nginx) S 1 10 10 0 -1 0 0 0 0 0 5 5 0 0 20 0",
    "11 (nginx) S 10 10 10 0 -1 0 0 0 0 0 100 50 0 0 20 0",
    "20 (other) S 1 20 20 0 -1 0 0 0 0 0 999 999 0 0 20 0",
  ].join("\n");
  assert.equal(sumCpuTicks(stats, [10, 11]), 160);
});

Deno.test("treeCpuTicks() counts the CPU time of a busy descendant", async () => {
  // A real tree: an idle sh whose child spins. Only the child uses CPU.
  const root = new Deno.Command("sh", {
    args: ["-c", "sh -c 'while :; do :; done' & wait"],
  }).spawn();
  try {
    const before = await treeCpuTicks(root.pid);
    // 10 ticks (100 ms of CPU at USER_HZ 100) come within a fraction of a second when the child
    // gets a core, later on a loaded machine: poll, with a generous bound. The idle sh alone
    // would never get there.
    let grew = 0;
    await eventually(
      async () => (grew = await treeCpuTicks(root.pid) - before) >= 10,
      30_000,
      "the spinning child's CPU time",
    ).catch((e) => {
      throw new Error(`${e.message}: grew by ${grew} ticks`);
    });
  } finally {
    await new Deno.Command("pkill", { args: ["-KILL", "-P", String(root.pid)] }).output();
    try {
      root.kill("SIGKILL");
    } catch { /* it ended with its child */ }
    await root.status;
  }
});
