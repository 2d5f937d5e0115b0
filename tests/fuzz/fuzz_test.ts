/**
 * The fuzz suite in CI: each property of properties.ts for its fixed number of runs, from a
 * fresh seed each time; a failure names its seed and the `deno task fuzz` command replaying it.
 */
import { PROPERTIES } from "./properties.ts";
import { newSeed, runProperty } from "./run.ts";

for (const p of PROPERTIES) {
  Deno.test(`fuzz: ${p.name} holds for ${p.ciRuns} generated inputs`, async () => {
    const r = await runProperty(p, { seed: newSeed(), numRuns: p.ciRuns });
    if (r.failed) throw new Error(r.report);
  });
}
