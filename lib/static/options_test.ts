import assert from "node:assert/strict";
import {
  allowFor,
  canUpload,
  canWrite,
  compileWritePolicy,
  optionsPlan,
  type ResourceKind,
  serverAllow,
  underPrefix,
} from "./options.ts";

const policy = compileWritePolicy({
  writeAccess: true,
  writePaths: ["/docs/", "/a%20b"],
  uploadPaths: ["/in"],
});

Deno.test("compileWritePolicy() decodes prefixes and drops trailing slashes", () => {
  assert.deepEqual(policy.writePaths, ["/docs", "/a b"]);
  assert.deepEqual(
    compileWritePolicy({ writeAccess: true, writePaths: ["/"], uploadPaths: [] }).writePaths,
    [""],
  );
});

Deno.test("underPrefix() matches whole segments, never a longer name", () => {
  const cases: Array<[string, boolean]> = [
    ["/docs", true],
    ["/docs/a.txt", true],
    ["/docs/x/y", true],
    ["/docsx", false],
    ["/doc", false],
    ["/", false],
    ["/a b/c", true],
  ];
  for (const [path, want] of cases) assert.equal(underPrefix(path, policy.writePaths), want, path);
  assert.equal(underPrefix("/anything", [""]), true);
  assert.equal(underPrefix("/anything", []), false);
});

Deno.test("canWrite() needs WriteAccess On; canUpload() needs UploadPaths", () => {
  assert.equal(canWrite(policy, "/docs/a"), true);
  assert.equal(canWrite({ ...policy, writeAccess: false }, "/docs/a"), false);
  assert.equal(canUpload(policy, "/in"), true);
  assert.equal(canUpload(policy, "/docs"), false);
});

Deno.test("allowFor() lists the methods of each kind of resource", () => {
  const cases: Array<[ResourceKind, string, string]> = [
    ["file", "/docs/a.txt", "GET, HEAD, POST, OPTIONS, PUT, DELETE"],
    ["file", "/other.txt", "GET, HEAD, POST, OPTIONS"],
    ["folder", "/docs", "GET, HEAD, OPTIONS"],
    ["folder", "/in", "GET, HEAD, OPTIONS, POST"],
    ["index", "/docs", "GET, HEAD, POST, OPTIONS"],
    ["missing", "/docs/new.txt", "OPTIONS, PUT"],
    ["missing", "/new.txt", "OPTIONS"],
  ];
  for (const [kind, path, want] of cases) {
    assert.equal(allowFor(policy, kind, path), want, `${kind} ${path}`);
  }
});

Deno.test("serverAllow() and optionsPlan() answer OPTIONS * with 204 and no body", () => {
  assert.equal(serverAllow(policy), "GET, HEAD, POST, OPTIONS, PUT, DELETE");
  assert.equal(serverAllow({ ...policy, writeAccess: false }), "GET, HEAD, POST, OPTIONS");
  assert.deepEqual(optionsPlan("GET"), {
    status: 204,
    fields: [["Allow", "GET"]],
    body: { kind: "none" },
  });
});
