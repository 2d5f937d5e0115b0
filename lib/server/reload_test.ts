import { assertEquals } from "../http/test_assert.ts";
import { ConfigError } from "../config/config.ts";
import { carrySessionKey, reloadFailure, reloadPort } from "./reload.ts";

Deno.test("reloadPort() keeps the running port while Listen is unchanged, even when it says 0", () => {
  assertEquals(
    reloadPort({ host: "0.0.0.0", port: 0 }, { host: "0.0.0.0", port: 0 }, 41000),
    41000,
  );
  assertEquals(reloadPort({ host: "::", port: 80 }, { host: "::", port: 80 }, 80), 80);
});

Deno.test("reloadPort() asks for a check of a new address, except the running port on another host", () => {
  assertEquals(reloadPort({ host: "0.0.0.0", port: 80 }, { host: "0.0.0.0", port: 81 }, 80), null);
  assertEquals(
    reloadPort({ host: "0.0.0.0", port: 0 }, { host: "0.0.0.0", port: 8080 }, 41000),
    null,
  );
  assertEquals(reloadPort({ host: "127.0.0.1", port: 80 }, { host: "0.0.0.0", port: 80 }, 80), 80);
  assertEquals(reloadPort({ host: "127.0.0.1", port: 80 }, { host: "0.0.0.0", port: 0 }, 80), null);
});

Deno.test("carrySessionKey() keeps a key made up at start, and takes a configured one", () => {
  const random = { key: "r".repeat(64), generated: true };
  const other = { key: "o".repeat(64), generated: true };
  const set = { key: "s".repeat(32), generated: false };
  assertEquals(carrySessionKey(random, other), random);
  assertEquals(carrySessionKey(random, set), set);
  assertEquals(carrySessionKey(set, other), other);
});

Deno.test("reloadFailure() names the whole path, the line and the key of a config error", () => {
  const e = new ConfigError('expected 1 to 256, got "lots"', {
    file: "/etc/httpserver/http.conf",
    line: 12,
    key: "Workers",
  });
  assertEquals(
    reloadFailure("/etc/httpserver/http.conf", e),
    "reload failed, still serving with the previous configuration: " +
      '/etc/httpserver/http.conf:12: Workers: expected 1 to 256, got "lots"',
  );
  assertEquals(
    reloadFailure("/srv/http.conf", new Error("Cannot listen on 0.0.0.0:80: Permission denied")),
    "reload failed, still serving with the previous configuration: /srv/http.conf: " +
      "Cannot listen on 0.0.0.0:80: Permission denied",
  );
});
