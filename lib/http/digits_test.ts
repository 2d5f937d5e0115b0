import { assertEquals } from "./test_assert.ts";
import { decimal } from "./digits.ts";

Deno.test("decimal() reads plain digits and refuses everything parseInt would forgive", () => {
  assertEquals(decimal("0", 3), 0);
  assertEquals(decimal("007", 3), 7);
  assertEquals(decimal("1234", 3), null);
  for (const bad of ["", "4zz", " 4", "+4", "-4", "4.0", "0x4", "1e3"]) {
    assertEquals(decimal(bad, 8), null, bad);
  }
  assertEquals(decimal("9007199254740991", 16), 9007199254740991);
  assertEquals(decimal("9007199254740992", 16), null);
});
