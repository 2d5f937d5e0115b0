import { assertEquals } from "../http/test_assert.ts";
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
