import assert from "node:assert/strict";
import { join } from "node:path";
import { WRK_CASES } from "./cases.ts";
import { runWrk, splitCpuLine, wrkArgs } from "./wrk.ts";
import { REPORT_404 as REPORT } from "./wrk_samples.ts";

Deno.test("splitCpuLine() separates wrk's report from the shell's stat line", () => {
  const stat = "77 (sh) S 1 77 77 0 -1 0 0 0 0 0 1 0 245 31 20 0 1 0 5";
  assert.deepEqual(splitCpuLine(`${REPORT}@@wrk-cpu ${stat}\n`), { report: REPORT, ticks: 276 });
  assert.deepEqual(splitCpuLine(REPORT), { report: REPORT, ticks: null });
});

Deno.test("runWrk() returns the parsed report and the CPU time the wrk process used", async () => {
  // A stand-in for wrk: spins for 0.4 s (in a child, as wrk's threads would), then reports.
  const dir = await Deno.makeTempDir();
  try {
    const fake = join(dir, "wrk");
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\ntimeout 0.4 sh -c 'while :; do :; done'\ncat <<'END'\n${REPORT}END\n`,
    );
    await Deno.chmod(fake, 0o755);
    const r = await runWrk(fake, ["-t1", "http://127.0.0.1:1/"], 1);
    if (r instanceof Error) throw r;
    assert.equal(r.result.requests, 1981);
    assert.ok((r.wrkCpuTicks ?? 0) >= 10, `wrk CPU ${r.wrkCpuTicks} ticks`);

    await Deno.writeTextFile(fake, "#!/bin/sh\necho 'unable to connect' >&2\nexit 1\n");
    const failed = await runWrk(fake, ["x"], 1);
    assert.ok(failed instanceof Error);
    assert.match(failed.message, /exit 1\): unable to connect/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wrkArgs() sends a TLS case to the HTTPS port over https://", () => {
  const run = { port: 8080, tlsPort: 8443, seconds: 2, threads: 2, rangeScript: "/r.lua" };
  const tls = WRK_CASES.find((c) => c.id === "tls-close-c50")!;
  assert.deepEqual(wrkArgs(tls, run), [
    "-t2",
    "-c50",
    "-d2s",
    "--latency",
    "-H",
    "Connection: close",
    "https://127.0.0.1:8443/1k.html",
  ]);
  assert.equal(wrkArgs(WRK_CASES[0]!, run).at(-1), "http://127.0.0.1:8080/1k.html");
  assert.throws(() => wrkArgs(tls, { ...run, tlsPort: null }), /no HTTPS port/);
});
