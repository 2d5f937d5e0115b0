import assert from "node:assert/strict";
import { HELP_TEXT, parseCli } from "./cli.ts";

Deno.test("parseCli() returns only the booleans when no flag is given", () => {
  assert.deepEqual(parseCli([]), { checkConfig: false, help: false, version: false });
});

Deno.test("parseCli() reads every long flag", () => {
  const o = parseCli([
    "--config",
    "/etc/httpserver/http.conf",
    "--port=8081",
    "--root",
    "site",
    "--workers",
    "4",
    "--tls-port",
    "0",
    "--check-config",
    "--hash-password",
    "alice",
    "--help",
    "--version",
  ]);
  assert.deepEqual(o, {
    config: "/etc/httpserver/http.conf",
    port: 8081,
    root: "site",
    workers: 4,
    tlsPort: 0,
    checkConfig: true,
    help: true,
    version: true,
    hashPassword: "alice",
  });
});

Deno.test("parseCli() reads every short flag", () => {
  const o = parseCli(["-c", "a.conf", "-p", "0", "-r", "/www", "-w", "256", "-t", "-h", "-V"]);
  assert.deepEqual(o, {
    config: "a.conf",
    port: 0,
    root: "/www",
    workers: 256,
    checkConfig: true,
    help: true,
    version: true,
  });
});

Deno.test("parseCli() accepts the port bounds 0 and 65535", () => {
  assert.equal(parseCli(["--port", "0"]).port, 0);
  assert.equal(parseCli(["--port", "65535"]).port, 65535);
  assert.equal(parseCli(["--port", "080"]).port, 80);
});

Deno.test("parseCli() rejects a port that is not digits with TypeError", () => {
  for (const p of ["", "80a", "-1", "+80", "8e3", " 80", "0x50", "80.0"]) {
    assert.throws(() => parseCli([`--port=${p}`]), TypeError, p);
  }
});

Deno.test("parseCli() rejects an out-of-range port or worker count with RangeError", () => {
  for (const args of [["--port", "65536"], ["--port", "99999999999"], ["-w", "0"], ["-w", "257"]]) {
    assert.throws(() => parseCli(args), RangeError, args.join(" "));
  }
  assert.throws(() => parseCli(["--port", "99999999999999999999999"]), RangeError);
  assert.throws(
    () => parseCli(["--port", "70000"]),
    /Cannot use --port 70000: expected 0 to 65535/,
  );
});

Deno.test("parseCli() rejects a worker count that is not digits", () => {
  for (const w of ["auto", "2.5", "", "-3"]) {
    assert.throws(() => parseCli([`--workers=${w}`]), TypeError, w);
  }
});

Deno.test("parseCli() rejects unknown flags, positionals and missing values", () => {
  for (
    const args of [
      ["--listen", "80"],
      ["-x"],
      ["serve"],
      ["--port"],
      ["--config"],
      ["--help=yes"],
    ]
  ) {
    assert.throws(() => parseCli(args), TypeError, args.join(" "));
  }
  assert.throws(() => parseCli(["--bogus"]), /--bogus.*see --help/);
});

Deno.test("parseCli() rejects empty paths and bad user names", () => {
  assert.throws(() => parseCli(["--config="]), TypeError);
  assert.throws(() => parseCli(["--root="]), TypeError);
  for (const u of ["", "a:b", "a b", "caf\u00e9"]) {
    assert.throws(() => parseCli(["--hash-password", u]), TypeError, u);
  }
});

Deno.test("parseCli() reads --wait-reload as milliseconds since 1970, digits only", () => {
  assert.deepEqual(parseCli(["--wait-reload", "1765000000123"]), {
    checkConfig: false,
    help: false,
    version: false,
    waitReload: 1765000000123,
  });
  assert.throws(() => parseCli(["--wait-reload", "1.5e12"]), TypeError, "digits only");
  assert.throws(() => parseCli(["--wait-reload", "99999999999999999999"]), RangeError);
});

Deno.test("HELP_TEXT lists every flag", () => {
  for (
    const flag of [
      "--config",
      "--port",
      "--root",
      "--workers",
      "--tls-port",
      "--check-config",
      "--hash-password",
      "--wait-reload",
      "--help",
      "--version",
      "-c,",
      "-p,",
      "-r,",
      "-w,",
      "-t,",
      "-h,",
      "-V,",
    ]
  ) {
    assert.ok(HELP_TEXT.includes(flag), flag);
  }
});

Deno.test("parseCli() checks --tls-port like --port", () => {
  assert.equal(parseCli(["--tls-port", "65535"]).tlsPort, 65535);
  assert.throws(() => parseCli(["--tls-port", "65536"]), RangeError);
  assert.throws(() => parseCli(["--tls-port", "x"]), TypeError);
  assert.throws(() => parseCli(["--tls-port"]), TypeError);
});
