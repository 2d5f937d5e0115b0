/**
 * The soak's short CI variant: the same mix, checks and verdict as `deno task soak`, for 20 s
 * with 6 clients against a real server (see soak.ts for what is judged).
 */
import { BLACK_BOX } from "../helpers/writable.ts";
import { formatReport, runSoak } from "./soak.ts";

Deno.test({
  name:
    "soak: 20 s of the mix leaves no unexpected answer, flat memory and descriptors, one access line per response",
  ignore: !BLACK_BOX,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const report = await runSoak({ durationMs: 20_000, clients: 6 });
    if (!report.ok) throw new Error(formatReport(report) + `\nkept in ${report.dir}`);
  },
});
