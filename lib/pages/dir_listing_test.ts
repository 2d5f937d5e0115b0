import assert from "node:assert/strict";
import { formatDate, formatSize, type ListingEntry, renderListing } from "./dir_listing.ts";

const T = Date.UTC(2024, 0, 2, 3, 4, 59); // 2024-01-02 03:04:59 UTC

function file(name: string, size = 10): ListingEntry {
  return { name, isDir: false, size, mtimeMs: T };
}

function dir(name: string): ListingEntry {
  return { name, isDir: true, size: 4096, mtimeMs: T };
}

/** The hrefs of the page in document order. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1] ?? "");
}

Deno.test("renderListing() lists folders first, then files, each in code-unit order", () => {
  const html = renderListing({
    urlPath: "/",
    entries: [file("b.txt"), dir("zeta"), file("B.txt"), dir("Alpha"), file("a.txt"), dir("beta")],
  });
  assert.deepEqual(hrefs(html), ["/Alpha/", "/beta/", "/zeta/", "/B.txt", "/a.txt", "/b.txt"]);
});

Deno.test("renderListing() has no parent link at /", () => {
  const html = renderListing({ urlPath: "/", entries: [file("x")] });
  assert(!html.includes("../"));
  assert(html.includes("<title>Index of /</title>"));
  assert(html.includes("<h1>Index of /</h1>"));
});

Deno.test("renderListing() links the parent directory below /", () => {
  assert.deepEqual(hrefs(renderListing({ urlPath: "/docs/", entries: [] })), ["/"]);
  const nested = renderListing({ urlPath: "/a/b c/", entries: [file("f")] });
  assert.deepEqual(hrefs(nested), ["/a/", "/a/b%20c/f"]);
  assert(nested.includes(">../</a>"));
});

Deno.test("renderListing() works when urlPath lacks the trailing slash", () => {
  const html = renderListing({ urlPath: "/docs", entries: [file("guide.pdf")] });
  assert.deepEqual(hrefs(html), ["/", "/docs/guide.pdf"]);
  assert(html.includes("<h1>Index of /docs/</h1>"));
});

Deno.test("renderListing() encodes a b#?.txt in the href and shows it verbatim", () => {
  const html = renderListing({ urlPath: "/", entries: [file("a b#?.txt")] });
  assert(html.includes(`<a href="/a%20b%23%3F.txt">a b#?.txt</a>`));
});

Deno.test("renderListing() escapes <x>.html in the label and encodes it in the href", () => {
  const html = renderListing({ urlPath: "/", entries: [file("<x>.html")] });
  assert(html.includes(`<a href="/%3Cx%3E.html">&lt;x&gt;.html</a>`));
  assert(!html.includes("<x>"));
});

Deno.test("renderListing() escapes script, quotes and ampersands in names and urlPath", () => {
  const evil = `<script>alert("x" & 'y')</script>`;
  const html = renderListing({ urlPath: `/${evil}/`, entries: [file(evil), dir(evil)] });
  assert(!html.includes("<script>"));
  assert(!html.includes(`"x"`));
  assert(html.includes("Index of /&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)"));
  for (const href of hrefs(html)) assert(/^[A-Za-z0-9\-._~%/]*$/.test(href), href);
});

Deno.test("renderListing() ends folder links and labels with /", () => {
  const html = renderListing({ urlPath: "/media/", entries: [dir("clips")] });
  assert(html.includes(`<a href="/media/clips/">clips/</a>`));
});

Deno.test("renderListing() shows sizes for files, - for folders, and UTC dates", () => {
  const html = renderListing({ urlPath: "/", entries: [file("f", 1234), dir("d")] });
  assert(html.includes(`<td class="size">1.2 KiB</td><td class="date">2024-01-02 03:04</td>`));
  assert(html.includes(`<a href="/d/">d/</a></td><td class="size">-</td>`));
});

Deno.test("renderListing() produces an HTML5 document without external resources", () => {
  const html = renderListing({ urlPath: "/", entries: [] });
  assert(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  assert(html.includes('<meta charset="utf-8">'));
  assert(!/<link|<script|<img|src=|url\(/i.test(html));
});

Deno.test("formatSize() uses bytes below 1 KiB and one decimal above", () => {
  const cases: Array<[number, string]> = [
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1234, "1.2 KiB"],
    [1048575, "1.0 MiB"],
    [1048576, "1.0 MiB"],
    [5 * 1024 ** 3 + 1, "5.0 GiB"],
    [3 * 1024 ** 4, "3.0 TiB"],
    [2 * 1024 ** 6, "2048.0 PiB"],
    [-1, "-"],
    [NaN, "-"],
    [Infinity, "-"],
  ];
  for (const [size, want] of cases) assert.deepEqual(formatSize(size), want, String(size));
});

Deno.test("formatDate() formats UTC YYYY-MM-DD HH:MM and - for invalid times", () => {
  assert.deepEqual(formatDate(T), "2024-01-02 03:04");
  assert.deepEqual(formatDate(0), "1970-01-01 00:00");
  assert.deepEqual(formatDate(NaN), "-");
  assert.deepEqual(formatDate(8.64e15 + 1), "-");
});
