import assert from "node:assert/strict";
import { resourceOf } from "./request_counters.ts";

const get = (target: string, method = "GET") => resourceOf({ method, target });

Deno.test("resourceOf() names the resolved path, whatever query, host or encoding the target had", () => {
  for (
    const t of [
      "/hello.txt",
      "/hello.txt?v=1",
      "http://any.example/hello.txt",
      "HTTP://other:8080/hello.txt?x",
      "/%68ello.txt",
      "/%68%65%6C%6c%6F.txt?%2F",
      "//hello.txt",
      "///hello.txt?",
    ]
  ) {
    assert.equal(get(t), "/hello.txt", t);
  }
  assert.equal(get("/docs/"), "/docs/");
  assert.equal(get("/"), "/");
  assert.equal(get("/?a"), "/");
  assert.equal(get("/a//b.txt?x"), "/a/b.txt");
  assert.equal(get("/a/b.txt?//%zz"), "/a/b.txt", "a query's % and // change nothing");
  assert.equal(get("/a/b.txt/"), "/a/b.txt/");
  assert.equal(get("http://x"), "/");
  assert.equal(get("http://x?y"), "/");
  assert.equal(get("/caf%C3%A9/"), "/café/");
  assert.equal(get("*", "GET"), "*");
});

Deno.test("resourceOf() buckets OPTIONS and targets the responder refuses", () => {
  assert.equal(get("/nothing-1", "OPTIONS"), "(OPTIONS)");
  assert.equal(get("*", "OPTIONS"), "(OPTIONS)");
  assert.equal(get("/%zz"), "(rejected)");
  assert.equal(get("mailto:x"), "(rejected)");
});
