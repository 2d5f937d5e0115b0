import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildErrorPages, DEFAULT_SERVER_NAME, loadErrorTemplates } from "./error_pages.ts";

const TEMPLATE =
  "<title>{{status}} {{reason}}</title><p>{{message}}</p><footer>{{server}}</footer>";
const EVIL = `<script>alert("x" & 'y')</script>`;
const EVIL_ESCAPED = "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;";

Deno.test("buildErrorPages() render() fills every placeholder of the status template", () => {
  const pages = buildErrorPages(new Map([[404, TEMPLATE]]));
  assert.deepEqual(
    pages.render(404, "Not Found", { message: "No such file", server: "srv" }),
    "<title>404 Not Found</title><p>No such file</p><footer>srv</footer>",
  );
});

Deno.test("buildErrorPages() render() escapes script, quotes and ampersands in reason", () => {
  const html = buildErrorPages(new Map([[400, TEMPLATE]])).render(400, EVIL);
  assert.deepEqual(html, `<title>400 ${EVIL_ESCAPED}</title><p></p><footer>httpserver</footer>`);
});

Deno.test("buildErrorPages() render() escapes script, quotes and ampersands in message", () => {
  const html = buildErrorPages(new Map([[400, TEMPLATE]])).render(400, "Bad Request", {
    message: EVIL,
  });
  assert(html.includes(`<p>${EVIL_ESCAPED}</p>`));
  assert(!html.includes("<script>"));
});

Deno.test("buildErrorPages() render() escapes script, quotes and ampersands in server", () => {
  const html = buildErrorPages(new Map([[500, TEMPLATE]])).render(500, "Internal Server Error", {
    server: EVIL,
  });
  assert(html.includes(`<footer>${EVIL_ESCAPED}</footer>`));
  assert(!html.includes("<script>"));
});

Deno.test("buildErrorPages() render() escapes every spot of the fallback page", () => {
  const html = buildErrorPages(new Map()).render(418, EVIL, { message: EVIL, server: EVIL });
  assert(!html.includes("<script>"));
  assert(!html.includes(`"x"`));
  assert.deepEqual(html.split(EVIL_ESCAPED).length - 1, 4); // title, h1, message, footer
});

Deno.test("buildErrorPages() render() uses the built-in fallback when a template is missing", () => {
  const pages = buildErrorPages(new Map([[404, TEMPLATE]]));
  const html = pages.render(503, "Service Unavailable", { message: "Try later" });
  assert(html.startsWith("<!DOCTYPE html>"));
  assert(html.includes("<title>503 Service Unavailable</title>"));
  assert(html.includes(">503</span> Service Unavailable</h1>"));
  assert(html.includes(`<p class="message">Try later</p>`));
  assert(html.includes(`<footer>${DEFAULT_SERVER_NAME}</footer>`));
  assert(!html.includes("{{"));
});

Deno.test("buildErrorPages() fallback page loads no external resources", () => {
  const html = buildErrorPages(new Map()).render(500, "Internal Server Error");
  assert(!/<link|<script|<img|src=|href=|url\(/i.test(html));
  assert(html.includes('<meta charset="utf-8">'));
});

Deno.test("buildErrorPages() render() does not expand placeholders inside values", () => {
  const html = buildErrorPages(new Map([[404, TEMPLATE]])).render(404, "{{message}}", {
    message: "{{server}}",
  });
  assert.deepEqual(
    html,
    "<title>404 {{message}}</title><p>{{server}}</p><footer>httpserver</footer>",
  );
});

Deno.test("buildErrorPages() render() replaces repeated placeholders and keeps unknown ones", () => {
  const pages = buildErrorPages(new Map([[410, "{{status}}{{status}} {{other}} {{ status }}"]]));
  assert.deepEqual(pages.render(410, "Gone"), "410410 {{other}} {{ status }}");
});

Deno.test("buildErrorPages() is not affected by later changes to the template map", () => {
  const templates = new Map([[404, "A {{status}}"]]);
  const pages = buildErrorPages(templates);
  templates.set(404, "B {{status}}");
  assert.deepEqual(pages.render(404, "Not Found"), "A 404");
});

Deno.test("buildErrorPages() render() does not throw on odd input", () => {
  const pages = buildErrorPages(new Map());
  for (const status of [NaN, -1, 0, 1.5, 1e21, Number.MAX_SAFE_INTEGER]) {
    assert(pages.render(status, "").includes("<!DOCTYPE html>"));
  }
  assert(pages.render(404, "\u0000\uD800", { message: "\r\n" }).length > 0);
});

/** An in-memory reader: returns null for paths it does not know. */
function fakeReader(files: Record<string, string>): (path: string) => string | null {
  return (path) => files[path] ?? null;
}

Deno.test("loadErrorTemplates() loads only the <dir>/<code>.html files that exist", () => {
  const read = fakeReader({
    [join("err", "404.html")]: "nf",
    [join("err", "500.html")]: "ise",
    [join("err", "200.html")]: "ok",
    [join("err", "600.html")]: "out",
  });
  const templates = loadErrorTemplates("err", {}, read);
  assert.deepEqual([...templates.entries()], [[404, "nf"], [500, "ise"]]);
});

Deno.test("loadErrorTemplates() asks for every code from 300 to 599", () => {
  const asked: string[] = [];
  loadErrorTemplates("e", {}, (p) => {
    asked.push(p);
    return null;
  });
  assert.deepEqual(asked.length, 300);
  assert.deepEqual(asked[0], join("e", "300.html"));
  assert.deepEqual(asked[299], join("e", "599.html"));
});

Deno.test("loadErrorTemplates() lets extra overrides win over and add to the directory", () => {
  const read = fakeReader({
    [join("err", "404.html")]: "dir 404",
    "/srv/custom404.html": "custom 404",
    "/srv/teapot.html": "custom 418",
  });
  const templates = loadErrorTemplates(
    "err",
    { "404": "/srv/custom404.html", "418": "/srv/teapot.html" },
    read,
  );
  assert.deepEqual(templates.get(404), "custom 404");
  assert.deepEqual(templates.get(418), "custom 418");
  assert.deepEqual(templates.size, 2);
});

Deno.test("loadErrorTemplates() throws RangeError for an invalid override status", () => {
  const read = fakeReader({ "/x.html": "x" });
  for (const key of ["abc", "4zz", "200", "600", "4040", "40", " 404", "+40", ""]) {
    assert.throws(() => loadErrorTemplates("e", { [key]: "/x.html" }, read), RangeError, key);
  }
});

Deno.test("loadErrorTemplates() throws when an override file does not exist", () => {
  assert.throws(() => loadErrorTemplates("e", { "404": "/missing.html" }, fakeReader({})), {
    name: "Error",
    message: `Cannot load error page for status 404: file "/missing.html" not found`,
  });
});

Deno.test("loadErrorTemplates() loads the bundled error/ directory with every placeholder", () => {
  const dir = fileURLToPath(new URL("../../error/", import.meta.url));
  const read = (p: string): string | null => {
    try {
      return Deno.readTextFileSync(p);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  };
  const templates = loadErrorTemplates(dir, {}, read);
  const expected = [
    301,
    308,
    400,
    401,
    403,
    404,
    405,
    408,
    409,
    411,
    412,
    413,
    414,
    415,
    416,
    417,
    429,
    431,
    500,
    501,
    503,
    505,
    507,
  ];
  assert.deepEqual([...templates.keys()], expected);
  const pages = buildErrorPages(templates);
  for (const status of expected) {
    const html = pages.render(status, `R${status}`, { message: `M${status}`, server: "S" });
    assert(html.includes(`>${status}<`), `status in ${status}.html`);
    assert(html.includes(`R${status}`), `reason in ${status}.html`);
    assert(html.includes(`M${status}`), `message in ${status}.html`);
    assert(html.includes("S</"), `server in ${status}.html`);
    assert(!/\{\{(status|reason|message|server)\}\}/.test(html), `leftover in ${status}.html`);
  }
});
