/**
 * A real server with writes enabled: WriteAccess On and a PasswordFile holding one user, for
 * black-box tests of PUT, DELETE and uploads.
 * @module
 */
import assert from "node:assert/strict";
import { passwordLine, PBKDF2_MIN_ITERATIONS } from "../../lib/auth/password_file.ts";
import { join } from "./paths.ts";
import { startServer, tempDir, type TestServer } from "./server.ts";

/** Black-box tests need to start processes and connect; without those permissions they are skipped. */
export const BLACK_BOX = Deno.permissions.querySync({ name: "run" }).state === "granted" &&
  Deno.permissions.querySync({ name: "net" }).state === "granted";

/** Basic credentials accepted by servers started with writableServer(). */
export const WRITER = { Authorization: "Basic " + btoa("writer:correct horse") };

/**
 * Start a server with WriteAccess On and a PasswordFile holding `writer` (or the given text).
 * @param conf http.conf keys to set as well
 */
export async function writableServer(
  conf: Readonly<Record<string, string>> = {},
  passwordFileText?: string,
): Promise<{ s: TestServer; cleanup: () => Promise<void> }> {
  const dir = tempDir();
  const passwords = join(dir, "passwords");
  const line = await passwordLine("writer", "correct horse", { iterations: PBKDF2_MIN_ITERATIONS });
  Deno.writeTextFileSync(passwords, passwordFileText ?? `# test writers\n${line}\n`);
  const s = await startServer({
    conf: { WriteAccess: "On", PasswordFile: passwords, WritePaths: "/", ...conf },
  });
  return {
    s,
    cleanup: async () => {
      const code = await s.stop();
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(s.dir, { recursive: true });
      assert.equal(code, 0, "server exits 0 on SIGTERM");
    },
  };
}
