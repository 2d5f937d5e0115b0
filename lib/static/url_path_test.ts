import { assertEquals } from "../http/test_assert.ts";
import fc from "fast-check";
import { decodeSegment, encodePath, resolveTarget } from "./url_path.ts";

const path = (t: string) => {
  const r = resolveTarget(t);
  return r.kind === "path"
    ? `${r.path}${r.trailingSlash ? " (slash)" : ""}${r.query ? " ?" + r.query : ""}`
    : r.kind === "reject"
    ? `reject ${r.status}`
    : r.kind;
};

Deno.test("resolveTarget() decodes once and keeps the query and trailing slash", () => {
  assertEquals(path("/a%20b/c.txt?x=%2F"), "/a b/c.txt ?x=%2F");
  assertEquals(path("/docs/"), "/docs (slash)");
  assertEquals(path("/"), "/ (slash)");
  assertEquals(path("//a///b"), "/a/b");
  assertEquals(path("/%25252e"), "/%252e"); // decoded once only
  assertEquals(path("/caf%C3%A9"), "/café");
});

Deno.test("resolveTarget() handles absolute-form and asterisk-form", () => {
  assertEquals(path("http://example.com/a?b"), "/a ?b");
  assertEquals(path("HTTP://example.com"), "/ (slash)");
  assertEquals(path("https://example.com:8443?q"), "/ (slash) ?q");
  assertEquals(path("*"), "asterisk");
  assertEquals(path("example.com:80"), "reject 400");
  assertEquals(path("ftp://x/y"), "reject 400");
});

Deno.test("resolveTarget() rejects traversal in every spelling", () => {
  for (
    const t of [
      "/..",
      "/../etc/passwd",
      "/a/../../b",
      "/%2e%2e/x",
      "/%2E%2E/x",
      "/.%2e/x",
      "/a/./b",
      "/%2e/b",
      "/a%5c..%5cb",
      "/a\\b",
      "/a%00b",
      "/%zz",
      "/%c0%ae%c0%ae/x",
      "/%e0%80%ae",
      "/a#frag",
    ]
  ) assertEquals(path(t), "reject 400", t);
});

Deno.test("resolveTarget() answers 404 for encoded slashes and hidden names, but not .well-known", () => {
  assertEquals(path("/a%2f..%2fb"), "reject 404");
  assertEquals(path("/a%2Fb"), "reject 404");
  assertEquals(path("/.git/config"), "reject 404");
  assertEquals(path("/.htpasswd"), "reject 404");
  assertEquals(path("/.well-known/acme-challenge/x"), "/.well-known/acme-challenge/x");
});

Deno.test("resolveTarget() never yields a path that climbs out (property)", () => {
  const seg = fc.oneof(
    fc.constantFrom("..", ".", "%2e%2e", "%2e", "%2f", "%5c", "%00", "a", "b%20c", "%c0%ae", ""),
    fc.string({ maxLength: 6 }),
  );
  fc.assert(
    fc.property(fc.array(seg, { maxLength: 8 }), (segs) => {
      const r = resolveTarget("/" + segs.join("/"));
      if (r.kind !== "path") return;
      for (const s of r.path.split("/").slice(1)) {
        assertEquals(
          s === "." || s === ".." || s.includes("\\") || s.includes("\0"),
          false,
          r.path,
        );
      }
      assertEquals(r.path.startsWith("/"), true);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeSegment() rejects malformed escapes and invalid UTF-8", () => {
  assertEquals(decodeSegment("a%2"), null);
  assertEquals(decodeSegment("a%g1"), null);
  assertEquals(decodeSegment("%ff"), null);
  assertEquals(decodeSegment("%41%42"), "AB");
});

Deno.test("encodePath() round-trips through resolveTarget()", () => {
  for (const p of ["/a b/c#d?e", "/café/ü", "/x(1)!*'"]) {
    const r = resolveTarget(encodePath(p));
    assertEquals(r.kind === "path" ? r.path : r.kind, p);
  }
});
