import { assertEquals } from "../http/test_assert.ts";
import { contentTypeFor, DEFAULT_TYPE } from "./mime.ts";

Deno.test("contentTypeFor() adds charset=utf-8 to text types and picks IANA types", () => {
  const cases: Array<[string, string]> = [
    ["/index.html", "text/html; charset=utf-8"],
    ["/a/style.css", "text/css; charset=utf-8"],
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/data.json", "application/json; charset=utf-8"],
    ["/hello.txt", "text/plain; charset=utf-8"],
    ["/logo.PNG", "image/png"],
    ["/guide.pdf", "application/pdf"],
    ["/v.webm", "video/webm"],
    ["/v.mp4", "video/mp4"],
  ];
  for (const [p, t] of cases) assertEquals(contentTypeFor(p), t, p);
});

Deno.test("contentTypeFor() falls back to application/octet-stream", () => {
  for (const p of ["/README", "/a.unknownext", "/.hidden", "/dir.d/file"]) {
    assertEquals(contentTypeFor(p), DEFAULT_TYPE, p);
  }
});

Deno.test("newUploadName() keeps an extension only when the file is served back as passive content", async () => {
  const { newUploadName, isPassiveType } = await import("./mime.ts");
  const ext = (t: string) => {
    const n = newUploadName(t);
    return n.includes(".") ? n.slice(n.lastIndexOf(".") + 1) : "";
  };
  assertEquals(ext("image/png"), "png");
  assertEquals(ext("text/plain; charset=utf-8"), "txt");
  assertEquals(ext("application/pdf"), "pdf");
  for (
    const t of [
      "text/html",
      "image/svg+xml",
      "application/xslt+xml",
      "application/xml",
      "application/mathml+xml",
      "application/atom+xml",
      "text/javascript",
      "application/wasm",
      "application/xhtml+xml",
    ]
  ) {
    assertEquals(ext(t), "", t);
  }
  assertEquals(isPassiveType("application/xml"), false);
  assertEquals(isPassiveType("image/svg+xml"), false);
  assertEquals(isPassiveType("video/webm"), true);
});
