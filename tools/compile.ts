/**
 * `deno task compile`: build ./httpserver with `deno compile` (the arguments come from the
 * task in deno.json), then check that what was built is this server: `./httpserver --version`
 * must print "httpserver VERSION". A `DENORT_BIN` pointing at the `deno` binary instead of a
 * `denort` runtime "succeeds" with a copy of deno; that file is removed and the task fails.
 * Without network access and without DENORT_BIN, deno compile cannot fetch its runtime: the
 * task says where a denort comes from instead of ending in a backtrace.
 * @module
 */

import { SERVER_NAME, SERVER_VERSION } from "../lib/config/defaults.ts";

const say = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s + "\n"));
const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const output = args[args.indexOf("--output") + 1] ?? "";
if (args.indexOf("--output") < 0 || output === "") {
  say("compile.ts: the task must pass --output FILE");
  Deno.exit(2);
}
const target = `${Deno.build.target}`;
const WHERE_DENORT = `deno compile builds on a "denort" runtime of the same version as deno
(${Deno.version.deno}). It downloads it from dl.deno.land; where that is not reachable, take
denort-${target}.zip from the Deno release (https://github.com/denoland/deno/releases/tag/v${Deno.version.deno}),
unzip it and run:  DENORT_BIN=/path/to/denort deno task compile
Without a compiled binary, install.sh installs the source tree with a launcher (deno run).`;

const built = await new Deno.Command(Deno.execPath(), {
  args: ["compile", ...args],
  stdout: "inherit",
  stderr: "piped",
  env: { RUST_BACKTRACE: "0" },
}).output();
// deno's own message, without the backtrace that follows it.
const message = new TextDecoder().decode(built.stderr).split(/\n\s*Stack backtrace:/)[0]!.trim();
if (!built.success) {
  say(message);
  say(`\ndeno task compile failed (deno compile exited with ${built.code}).\n${WHERE_DENORT}`);
  Deno.exit(1);
}
if (message !== "") say(message);

const want = `${SERVER_NAME} ${SERVER_VERSION}`;
let got = "";
try {
  const v = await new Deno.Command(`./${output}`.replace(/^\.\/\//, "/"), {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  got = new TextDecoder().decode(v.stdout).trim().split("\n")[0]! ||
    new TextDecoder().decode(v.stderr).trim().split("\n")[0]!;
} catch (e) {
  got = `it could not run: ${e instanceof Error ? e.message : e}`;
}
if (got !== want) {
  Deno.removeSync(output);
  say(
    `deno task compile built something that is not ${SERVER_NAME}: "${output} --version" ` +
      `printed "${got}", not "${want}". Removed it.\n` +
      (Deno.env.get("DENORT_BIN")
        ? `DENORT_BIN is "${Deno.env.get("DENORT_BIN")}": it must name a denort binary, not deno.\n`
        : "") +
      WHERE_DENORT,
  );
  Deno.exit(1);
}
say(`built ./${output} (${want}); install it with: sudo ./install.sh`);
