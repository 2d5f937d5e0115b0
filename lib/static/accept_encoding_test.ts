import assert from "node:assert/strict";
import { parseAcceptEncoding, parseQValue, rankEncodings } from "./accept_encoding.ts";

Deno.test("parseQValue() reads RFC 9110 §12.4.2 qvalues in thousandths", () => {
  const cases: Array<[string, number | null]> = [
    ["1", 1000],
    ["1.", 1000],
    ["1.000", 1000],
    ["0", 0],
    ["0.5", 500],
    ["0.05", 50],
    ["0.001", 1],
    ["0.999", 999],
    ["1.001", null],
    ["1.5", null],
    ["2", null],
    ["0.0001", null],
    [".5", null],
    ["0,5", null],
    ["", null],
    ["-0", null],
    ["0.5 ", null],
  ];
  for (const [s, want] of cases) assert.equal(parseQValue(s), want, JSON.stringify(s));
});

Deno.test("parseAcceptEncoding() parses codings, weights, OWS and case", () => {
  assert.deepEqual(
    [...parseAcceptEncoding("gzip;q=0.5, BR , identity ; Q=0, *;q=0.1")],
    [["gzip", 500], ["br", 1000], ["identity", 0], ["*", 100]],
  );
});

Deno.test("parseAcceptEncoding() skips malformed elements, keeps the first weight, reads x-gzip as gzip", () => {
  assert.deepEqual(
    [...parseAcceptEncoding("gzip;q=2, br;level=1, x-gzip;q=0.3, gzip, ,br, bad coding, de\u00e9")],
    [["gzip", 300], ["br", 1000]],
  );
  assert.deepEqual([...parseAcceptEncoding("")], []);
});

Deno.test("rankEncodings() follows RFC 9110 §12.5.3 examples", () => {
  const offered = ["br", "gzip"];
  const cases: Array<[string | undefined, string[]]> = [
    [undefined, []], // no field: identity
    ["", []], // empty field: identity only
    ["compress, gzip", ["gzip"]],
    ["*", ["br", "gzip"]],
    ["compress;q=0.5, gzip;q=1.0", ["gzip"]],
    ["gzip;q=1.0, identity; q=0.5, *;q=0", ["gzip"]],
    ["gzip, deflate, br", ["br", "gzip"]],
    ["br;q=0.5, gzip", ["gzip"]], // br is below identity (q=1 by default)
    ["br;q=0.5, gzip, identity;q=0.1", ["gzip", "br"]],
    ["gzip;q=0.5", []], // identity (q=1 by default) is preferred
    ["gzip;q=0.5, identity;q=0.2", ["gzip"]],
    ["gzip;q=0, br;q=0", []],
    ["identity", []],
    ["*;q=0", []], // nothing acceptable: the caller sends identity anyway
    ["x-gzip", ["gzip"]],
  ];
  for (const [h, want] of cases) assert.deepEqual(rankEncodings(h, offered), want, String(h));
});
