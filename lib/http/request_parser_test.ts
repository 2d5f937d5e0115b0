import { assertEquals } from "./test_assert.ts";
import fc from "fast-check";
import { type Limits } from "./limits.ts";
import { RequestParser } from "./request_parser.ts";
import { feedPieces, latin1Bytes, scan, summary, TEST_LIMITS } from "./test_scan.ts";

const ok = (s: string) => scan(s);

Deno.test("RequestParser parses a simple GET at every split", () => {
  assertEquals(
    ok("GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"),
    'head:GET /index.html 1.1 [host="example.com";accept="*/*"] +60',
  );
});

Deno.test("RequestParser trims OWS around values and keeps inner spaces", () => {
  assertEquals(
    ok("GET / HTTP/1.1\r\nHost:  a \t\r\nUser-Agent: x  y\t \r\n\r\n"),
    'head:GET / 1.1 [host="a";user-agent="x  y"] +50',
  );
});

Deno.test("RequestParser accepts an empty field value", () => {
  assertEquals(ok("GET / HTTP/1.0\r\nX-Empty:\r\n\r\n"), 'head:GET / 1.0 [x-empty=""] +28');
});

Deno.test("RequestParser skips one or more empty lines before the request line (RFC 9112 §2.2)", () => {
  assertEquals(ok("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 'head:GET / 1.1 [host="a"] +31');
});

Deno.test("RequestParser keeps duplicate fields in order and lower-cases names", () => {
  assertEquals(
    ok("GET / HTTP/1.1\r\nHOST: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n"),
    'head:GET / 1.1 [host="a";x-a="1";x-a="2"] +43',
  );
});

Deno.test("RequestParser keeps obs-text bytes in values as latin1", () => {
  assertEquals(ok("GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n"), 'head:GET / 1.1 [x="caf\xe9"] +27');
});

Deno.test("RequestParser reads absolute-form and asterisk-form targets as-is", () => {
  assertEquals(
    ok("GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n"),
    'head:GET http://a/b?c 1.1 [host="a"] +38',
  );
  assertEquals(ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 'head:OPTIONS * 1.1 [host="a"] +31');
});

Deno.test("RequestParser reports the version digits for later checks", () => {
  assertEquals(ok("GET / HTTP/2.0\r\n\r\n"), "head:GET / 2.0 [] +18");
  assertEquals(ok("GET / HTTP/1.9\r\n\r\n"), "head:GET / 1.9 [] +18");
});

Deno.test("RequestParser returns need-more for an incomplete head", () => {
  assertEquals(ok("GET / HTTP/1.1\r\nHost: a\r\n"), "need-more");
  assertEquals(ok("GET / HTTP/1.1\r\nHost: a\r\n\r"), "need-more");
});

const errors: Array<[string, string]> = [
  ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"],
  ["obs-fold", "GET / HTTP/1.1\r\n\tX: 1\r\n\r\n"],
  ["bare-lf", "GET / HTTP/1.1\nHost: a\r\n\r\n"],
  ["bare-lf", "GET / HTTP/1.1\r\nHost: a\n\r\n"],
  ["bare-lf", "GET / HTTP/1.1\r\nHost: a\r\n\n"],
  ["bare-lf", "\nGET / HTTP/1.1\r\n\r\n"],
  ["space-before-colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"],
  ["bad-header-name", "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"],
  ["bad-header-name", "GET / HTTP/1.1\r\n:a\r\n\r\n"],
  ["bad-header-name", "GET / HTTP/1.1\r\nNoColon\r\n\r\n"],
  ["bad-header-value", "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n"],
  ["bad-header-value", "GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n"],
  ["bad-method", "G(T / HTTP/1.1\r\n\r\n"],
  ["bad-method", " GET / HTTP/1.1\r\n\r\n"],
  ["bad-request-line", "GET  / HTTP/1.1\r\n\r\n"],
  ["bad-request-line", "GET /\r\n\r\n"],
  ["bad-target", "GET /a\x01 HTTP/1.1\r\n\r\n"],
  ["bad-target", "GET /caf\xe9 HTTP/1.1\r\n\r\n"],
  ["bad-version", "GET / HTTP/1.1 \r\n\r\n"],
  ["bad-version", "GET / http/1.1\r\n\r\n"],
  ["bad-version", "GET / HTTP/11\r\n\r\n"],
  ["bad-version", "GET / HTTP/1.x\r\n\r\n"],
  ["bad-request-line", "\rGET / HTTP/1.1\r\n\r\n"],
];

for (const [code, text] of errors) {
  Deno.test(`RequestParser rejects ${JSON.stringify(text.slice(0, 40))} with ${code} at every split`, () => {
    assertEquals(ok(text), `error:${code}`);
  });
}

const small: Limits = { ...TEST_LIMITS, maxRequestLine: 20, maxHeaderBytes: 64, maxHeaderCount: 2 };

Deno.test("RequestParser answers request-line-too-long past MaxRequestLine, at every split", () => {
  assertEquals(scan("GET /123456 HTTP/1.1\r\n\r\n", small), "head:GET /123456 1.1 [] +24"); // exactly 20
  assertEquals(scan("GET /1234567 HTTP/1.1\r\n\r\n", small), "error:request-line-too-long");
  assertEquals(scan("GET /12345678901234567890", small), "error:request-line-too-long");
});

Deno.test("RequestParser answers headers-too-large past MaxHeaderBytes, at every split", () => {
  const head = "GET / HTTP/1.1\r\nX: " + "a".repeat(30) + "\r\n\r\n"; // 53 bytes
  assertEquals(scan(head, small).startsWith("head:"), true);
  assertEquals(
    scan("GET / HTTP/1.1\r\nX: " + "a".repeat(50) + "\r\n\r\n", small),
    "error:headers-too-large",
  );
});

Deno.test("RequestParser answers too-many-headers past MaxHeaderCount", () => {
  assertEquals(scan("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", small).startsWith("head:"), true);
  assertEquals(
    scan("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small),
    "error:too-many-headers",
  );
});

Deno.test("RequestParser reset() parses a second pipelined message from index 0", () => {
  const p = new RequestParser(TEST_LIMITS);
  const two = latin1Bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n");
  const r1 = p.feed(two);
  assertEquals(r1.kind, "head");
  if (r1.kind !== "head") return;
  p.reset();
  const r2 = p.feed(two.subarray(r1.consumed));
  assertEquals(summary(r2), 'head:GET /b 1.1 [host="y"] +28');
});

Deno.test("RequestParser never throws and gives the same answer for any split (fuzz)", () => {
  const byte = fc.oneof(
    fc.constantFrom(...latin1Bytes("GET / HTTP/1.1\r\n:Host a\t")),
    fc.integer({ min: 0, max: 255 }),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.array(byte, { maxLength: 60 }),
      fc.nat(),
      (a, b, cut) => {
        const prefix = latin1Bytes("GET / HTTP/1.1\r\n");
        const bytes = Uint8Array.from([...prefix, ...b, ...a]);
        const limits = { ...TEST_LIMITS, maxHeaderBytes: 100, maxRequestLine: 40 };
        const whole = summary(feedPieces([bytes], limits));
        const at = cut % (bytes.length + 1);
        const split = summary(feedPieces([bytes.subarray(0, at), bytes.subarray(at)], limits));
        assertEquals(split, whole);
        if (whole.startsWith("head:")) {
          const consumed = Number(whole.slice(whole.lastIndexOf("+") + 1));
          assertEquals(consumed <= limits.maxHeaderBytes, true);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("RequestParser grows its field table past 16 fields up to MaxHeaderCount", () => {
  const fields = Array.from({ length: 40 }, (_, i) => `X-${i}: ${i}\r\n`).join("");
  const r = scan(`GET / HTTP/1.1\r\n${fields}\r\n`);
  assertEquals(r.includes('x-39="39"'), true);
  assertEquals(r.split(";").length, 40);
});
