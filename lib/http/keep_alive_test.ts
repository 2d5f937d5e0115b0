import { assertEquals } from "./test_assert.ts";
import { FieldList } from "./headers.ts";
import { clientWantsKeepAlive } from "./keep_alive.ts";

function fields(...pairs: Array<[string, string]>): FieldList {
  const f = new FieldList();
  for (const [n, v] of pairs) f.add(n, v);
  return f;
}

Deno.test("clientWantsKeepAlive() follows RFC 9112 §9.3 for 1.1 and 1.0", () => {
  assertEquals(clientWantsKeepAlive(1, fields()), true);
  assertEquals(clientWantsKeepAlive(1, fields(["connection", "Close"])), false);
  assertEquals(clientWantsKeepAlive(1, fields(["connection", "upgrade, close"])), false);
  assertEquals(clientWantsKeepAlive(0, fields()), false);
  assertEquals(clientWantsKeepAlive(0, fields(["connection", "Keep-Alive"])), true);
  assertEquals(
    clientWantsKeepAlive(0, fields(["connection", "keep-alive"], ["connection", "close"])),
    false,
  );
});

Deno.test("clientWantsKeepAlive() closes after an HTTP/1.0 message with Transfer-Encoding (RFC 9112 §6.1)", () => {
  const te = ["transfer-encoding", "chunked"] as [string, string];
  assertEquals(clientWantsKeepAlive(0, fields(["connection", "keep-alive"], te)), false);
  assertEquals(clientWantsKeepAlive(0, fields(te, ["connection", "keep-alive"])), false);
  assertEquals(clientWantsKeepAlive(1, fields(te)), true); // HTTP/1.1 defines it
});
