import { assertEquals } from "../http/test_assert.ts";
import { join } from "node:path";
import { Appender, type LogFile, LogWriter, SyncLogFile } from "./log_writer.ts";

class MemoryFile implements LogFile {
  text = "";
  writes = 0;
  closed = false;
  constructor(public fail = false, private max = Infinity) {}
  write(p: Uint8Array): Promise<number> {
    this.writes++;
    if (this.fail) return Promise.reject(new Error("No space left on device (os error 28)"));
    const n = Math.min(p.length, this.max);
    this.text += new TextDecoder().decode(p.subarray(0, n));
    return Promise.resolve(n);
  }
  close(): void {
    this.closed = true;
  }
}

Deno.test("Appender writes lines in order, batching those queued during a write, looping on partial writes", async () => {
  const f = new MemoryFile(false, 7);
  const a = new Appender(f, "x.log");
  for (let i = 0; i < 20; i++) a.push(`line ${i}\n`);
  await a.close();
  assertEquals(f.text, Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(""));
  assertEquals(f.closed, true);
});

Deno.test("Appender writes text and byte batches in the order they were pushed", async () => {
  const f = new MemoryFile(false, 5);
  const a = new Appender(f, "x.log");
  const bytes = (s: string) => new TextEncoder().encode(s);
  a.push(bytes("a 1\na 2\n"));
  a.push("e 1\n");
  a.push(bytes("a 3\n"));
  a.push(bytes("a 4\n"));
  await a.close();
  assertEquals(f.text, "a 1\na 2\ne 1\na 3\na 4\n");
});

Deno.test("Appender survives a failing disk: no rejection escapes, later lines are still attempted", async () => {
  const f = new MemoryFile(true);
  const a = new Appender(f, "full.log");
  let unhandled = 0;
  const onUnhandled = (e: PromiseRejectionEvent) => {
    unhandled++;
    e.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    a.push("one\n");
    await new Promise((r) => setTimeout(r, 10));
    a.push("two\n");
    await a.close();
    await new Promise((r) => setTimeout(r, 10));
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
  assertEquals(unhandled, 0);
  assertEquals(f.writes, 2);
});

/** A LogWriter on access.log and error.log (level info) in a temporary folder, removed after. */
async function withLogWriter(fn: (w: LogWriter, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "logwriter_" });
  try {
    const w = await LogWriter.open({
      accessLog: join(dir, "access.log"),
      errorLog: join(dir, "error.log"),
      level: "info",
      stderrLevel: null,
    });
    await fn(w, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("LogWriter writes workers' error lines as the bytes they sent, in order with its own records", async () => {
  await withLogWriter(async (w, dir) => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    w.errorLines(utf8("[w1] /café-✓.html: not found\n[w1] second\n"));
    w.error({ timeMs: 0, level: "notice", module: "core", message: "from main", tid: 0 });
    w.error({ timeMs: 0, level: "debug", module: "core", message: "below LogLevel", tid: 0 });
    w.errorLines(utf8("[w2] third\n"));
    w.access(utf8('127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1 "-" "-"\n'));
    await w.close();
    const lines = (await Deno.readTextFile(join(dir, "error.log"))).split("\n");
    assertEquals(lines[0], "[w1] /café-✓.html: not found");
    assertEquals(lines[1], "[w1] second");
    assertEquals(lines[2]?.endsWith("[core:notice] [pid " + Deno.pid + ":tid 0] from main"), true);
    assertEquals(lines.slice(3), ["[w2] third", ""]);
    assertEquals(
      await Deno.readTextFile(join(dir, "access.log")),
      '127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1 "-" "-"\n',
    );
  });
});

Deno.test("Appender.reopen: later batches go to the new file, none is split, the old one is closed", async () => {
  const first = new MemoryFile(false, 3); // partial writes: a batch takes several calls
  const second = new MemoryFile();
  const third = new MemoryFile();
  const a = new Appender(first, "x.log");
  a.push("one\n");
  a.push("two\n"); // "one\n" is in flight: "two\n" waits for the next batch
  a.reopen(second); // while "one\n" is being written in pieces to the first file
  assertEquals(first.closed, false, "the old file stays open until its batch is written");
  a.push("three\n");
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(first.text, "one\n");
  assertEquals(first.closed, true);
  assertEquals(second.text, "two\nthree\n");
  a.reopen(third); // idle: the old file is closed at once
  assertEquals(second.closed, true);
  a.push("four\n");
  await a.close();
  assertEquals(third.text, "four\n");
  assertEquals(third.closed, true);
});

Deno.test("LogWriter.reopen() after close() opens nothing (a signal during shutdown)", async () => {
  await withLogWriter(async (w, dir) => {
    await w.close();
    Deno.removeSync(join(dir, "access.log"));
    assertEquals(await w.reopen(), []);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["error.log"], "nothing recreated");
  });
});

Deno.test("Appender reports a failing file once, then again when it can be written, with the bytes lost", async () => {
  const f = new MemoryFile(true);
  const reports: string[] = [];
  const a = new Appender(f, "full.log", (level, m) => reports.push(`${level}: ${m}`));
  a.push("one\n");
  await new Promise((r) => setTimeout(r, 5));
  a.push("two\n");
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(reports, [
    "error: cannot write full.log: No space left on device (os error 28); its lines are lost " +
    "until it can be written again",
  ]);
  f.fail = false;
  a.push("three\n");
  await a.close();
  assertEquals(f.text, "three\n");
  assertEquals(reports[1], "notice: writing full.log again; 8 bytes of lines lost");
});

Deno.test("LogWriter.recreateDeleted() creates a deleted log again by name and says so in error.log", async () => {
  await withLogWriter(async (w, dir) => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    w.access(utf8("before\n"));
    assertEquals(await w.recreateDeleted(), [], "nothing deleted yet");
    await new Promise((r) => setTimeout(r, 10));
    Deno.removeSync(join(dir, "access.log"));
    assertEquals(await w.recreateDeleted(), ["AccessLog"]);
    w.access(utf8("after\n"));
    await w.close();
    assertEquals(await Deno.readTextFile(join(dir, "access.log")), "after\n");
    const errors = await Deno.readTextFile(join(dir, "error.log"));
    assertEquals(
      errors.includes(`access.log" was deleted while open; writing to a new file`),
      true,
    );
  });
});

Deno.test("SyncLogFile appends at once and reopen() moves to a file of the same name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "synclog_" });
  try {
    const path = join(dir, "access.log");
    const f = SyncLogFile.open(path);
    f.write(new TextEncoder().encode("one\n"));
    assertEquals(Deno.readTextFileSync(path), "one\n", "in the file before write() returns");
    Deno.renameSync(path, path + ".1");
    f.reopen();
    f.write(new TextEncoder().encode("two\n"));
    f.close();
    assertEquals(Deno.readTextFileSync(path + ".1"), "one\n");
    assertEquals(Deno.readTextFileSync(path), "two\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
