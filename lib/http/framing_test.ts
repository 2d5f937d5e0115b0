import { assertEquals } from "./test_assert.ts";
import { checkHead, parseContentLength, parseDecimal, validHost } from "./framing.ts";
import { FieldList } from "./headers.ts";
import type { RequestHead } from "./request_parser.ts";
import { feedPieces, latin1Bytes, scan, summary } from "./test_scan.ts";

function head(
  method: string,
  minor: number,
  fields: Array<[string, string]>,
  major = 1,
): RequestHead {
  const headers = new FieldList();
  for (const [n, v] of fields) headers.add(n, v);
  return { method, target: "/", versionMajor: major, versionMinor: minor, headers };
}

const check = (h: RequestHead, max = 1000) => {
  const r = checkHead(h, max);
  return r.kind === "error"
    ? r.code
    : `${r.framing.kind}${"length" in r.framing ? r.framing.length : ""}${
      r.expectContinue ? "+100" : ""
    }`;
};

Deno.test("checkHead() requires exactly one valid Host in HTTP/1.1 (RFC 9112 §3.2)", () => {
  assertEquals(check(head("GET", 1, [])), "missing-host");
  assertEquals(check(head("GET", 0, [])), "none");
  assertEquals(check(head("GET", 1, [["host", "a"], ["host", "a"]])), "multiple-host");
  assertEquals(check(head("GET", 1, [["host", "a b"]])), "bad-host");
  assertEquals(check(head("GET", 1, [["host", "a:8080"]])), "none");
  assertEquals(check(head("GET", 1, [["host", "[::1]:8080"]])), "none");
});

Deno.test("checkHead() answers 505 for other major versions and 501 for unknown methods", () => {
  assertEquals(check(head("GET", 0, [], 2)), "unsupported-version");
  assertEquals(check(head("PATCH", 1, [["host", "a"]])), "unknown-method");
  assertEquals(check(head("get", 1, [["host", "a"]])), "unknown-method");
  assertEquals(check(head("TRACE", 1, [["host", "a"]])), "unknown-method");
});

Deno.test("checkHead() rejects Content-Length with Transfer-Encoding (RFC 9112 §6.1)", () => {
  assertEquals(
    check(
      head("POST", 1, [["host", "a"], ["content-length", "3"], ["transfer-encoding", "chunked"]]),
    ),
    "cl-and-te",
  );
});

Deno.test("checkHead() requires chunked last and supports no other coding", () => {
  assertEquals(
    check(head("POST", 1, [["host", "a"], ["transfer-encoding", "chunked"]])),
    "chunked",
  );
  assertEquals(
    check(head("POST", 1, [["host", "a"], ["transfer-encoding", "Chunked"]])),
    "chunked",
  );
  assertEquals(
    check(head("POST", 1, [["host", "a"], ["transfer-encoding", "gzip"]])),
    "bad-transfer-encoding",
  );
  assertEquals(
    check(head("POST", 1, [["host", "a"], ["transfer-encoding", "chunked, gzip"]])),
    "bad-transfer-encoding",
  );
  assertEquals(
    check(head("POST", 1, [["host", "a"], ["transfer-encoding", "gzip, chunked"]])),
    "unsupported-transfer-encoding",
  );
  assertEquals(
    check(
      head("POST", 1, [["host", "a"], ["transfer-encoding", "chunked"], [
        "transfer-encoding",
        "chunked",
      ]]),
    ),
    "unsupported-transfer-encoding",
  );
});

Deno.test("checkHead() accepts identical duplicate Content-Length and rejects differing ones", () => {
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "5"], ["content-length", "5"]])),
    "length5",
  );
  assertEquals(check(head("PUT", 1, [["host", "a"], ["content-length", "5, 5"]])), "length5");
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "5"], ["content-length", "6"]])),
    "conflicting-content-length",
  );
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "+5"]])),
    "bad-content-length",
  );
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "0x5"]])),
    "bad-content-length",
  );
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", ""]])),
    "bad-content-length",
  );
  assertEquals(check(head("PUT", 1, [["host", "a"], ["content-length", "0"]])), "none");
});

Deno.test("checkHead() answers 413 for a declared length over the limit before reading it", () => {
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "1001"]])),
    "body-too-large",
  );
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "99999999999999999999"]])),
    "bad-content-length",
  );
});

Deno.test("checkHead() handles Expect: 100-continue and rejects other expectations with 417", () => {
  assertEquals(
    check(head("PUT", 1, [["host", "a"], ["content-length", "5"], ["expect", "100-Continue"]])),
    "length5+100",
  );
  assertEquals(check(head("GET", 1, [["host", "a"], ["expect", "100-continue"]])), "none");
  assertEquals(check(head("PUT", 1, [["host", "a"], ["expect", "cookies"]])), "expectation-failed");
});

Deno.test("parseDecimal() and parseContentLength() never use parseInt leniency", () => {
  assertEquals(parseDecimal("0"), 0);
  assertEquals(parseDecimal("9007199254740991"), 9007199254740991);
  assertEquals(parseDecimal("9007199254740992"), -1);
  assertEquals(parseDecimal("4zz"), -1);
  assertEquals(parseDecimal(" 4"), -1);
  assertEquals(parseContentLength("7,7 , 7"), 7);
  assertEquals(parseContentLength("7,,7"), -1);
});

Deno.test("validHost() accepts names, IPv4, bracketed IPv6 and ports only", () => {
  for (const h of ["example.com", "a-b.c:80", "127.0.0.1:8080", "[::1]", "[2001:db8::1]:443", ""]) {
    assertEquals(validHost(h), true, h);
  }
  for (const h of ["a b", "a/b", "a@b", "[::1", "a:80:80", "a:123456"]) {
    assertEquals(validHost(h), false, h);
  }
});

Deno.test("checkHead() trims framing values of SP and HTAB only, never NBSP (RFC 9110 §5.5)", () => {
  // Each head is parsed whole and split at every byte (scan), as the connection would feed it.
  const framing = (fields: string) => {
    const text = `POST / HTTP/1.1\r\nHost: a\r\n${fields}\r\n\r\n`;
    const r = feedPieces([latin1Bytes(text)]);
    scan(text);
    if (r.kind !== "head") throw new Error(`did not parse: ${summary(r)}`);
    return check(r.head);
  };
  assertEquals(framing("Transfer-Encoding: chunked\xa0"), "bad-transfer-encoding");
  assertEquals(framing("Transfer-Encoding: \xa0chunked"), "bad-transfer-encoding");
  assertEquals(framing("Transfer-Encoding: gzip\xa0, chunked"), "unsupported-transfer-encoding");
  assertEquals(framing("Content-Length: \xa05"), "bad-content-length");
  assertEquals(framing("Content-Length: 5\xa0"), "bad-content-length");
  assertEquals(framing("Content-Length: 5,\xa05"), "bad-content-length");
  // What the RFC allows stays accepted: OWS around the value and around list elements.
  assertEquals(framing("Transfer-Encoding: \t chunked \t"), "chunked");
  assertEquals(framing("Content-Length: 5 ,\t5"), "length5");
  assertEquals(parseContentLength("\xa05"), -1);
  assertEquals(parseContentLength("5\u2003"), -1);
});
