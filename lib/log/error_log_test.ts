import { assertEquals } from "../http/test_assert.ts";
import type { LogLevel } from "../config/config.ts";
import { errorTime, formatErrorLine } from "./error_log.ts";

Deno.test("formatErrorLine() writes Apache 2.4 error-log lines", () => {
  const t = Date.UTC(2000, 9, 11, 14, 32, 52, 123);
  assertEquals(errorTime(t), "Wed Oct 11 14:32:52.123000 2000");
  assertEquals(
    formatErrorLine({
      timeMs: t,
      level: "error",
      module: "core",
      client: "127.0.0.1:5555",
      message: "File does not exist",
      tid: 2,
    }, 42),
    "[Wed Oct 11 14:32:52.123000 2000] [core:error] [pid 42:tid 2] [client 127.0.0.1:5555] File does not exist",
  );
});

Deno.test("formatErrorLine() escapes control characters so a message stays on one line", () => {
  const line = formatErrorLine({
    timeMs: 0,
    level: "crit",
    module: "core",
    message: "a\nb\x1b",
    tid: 0,
  }, 1);
  assertEquals(line.endsWith("] a\\x0ab\\x1b"), true);
  assertEquals(line.includes("[client"), false);
});

Deno.test("formatErrorLine() reuses nothing of a previous line that differs in module, level, pid or worker", () => {
  const base = { timeMs: 0, level: "error" as LogLevel, module: "core", message: "m", tid: 1 };
  const want = (r: typeof base, pid: number) =>
    `[${errorTime(0)}] [${r.module}:${r.level}] [pid ${pid}:tid ${r.tid}] m`;
  const variants: Array<[typeof base, number]> = [
    [base, 7],
    [base, 7],
    [{ ...base, module: "session" }, 7],
    [{ ...base, module: "session", level: "warn" }, 7],
    [base, 8],
    [{ ...base, tid: 2 }, 8],
    [base, 7],
  ];
  for (const [r, pid] of variants) assertEquals(formatErrorLine(r, pid), want(r, pid));
});
