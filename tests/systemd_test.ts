/**
 * The service in a real systemd (Debian 12's, systemd 252), as an administrator runs it:
 * install.sh, systemctl start/reload/stop, a kill -9, the sandbox, the security score. The
 * container (tests/helpers/nspawn.ts) shares the host's network, so the host's curl and load
 * client reach the service. Root, debootstrap and systemd-nspawn needed (tests/prereqs.ts).
 */
import { sysctl } from "./helpers/sysctl.ts";
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { join } from "./helpers/paths.ts";
import type { LoadReport } from "./helpers/load_client.ts";
import { bootContainer, type Container, ensureRootfs } from "./helpers/nspawn.ts";
import { REPO, tempDir } from "./helpers/server.ts";

const PREFIX = "/srv/httpserver"; // not the default: --prefix must reach every path in the unit
const MIGRATE = "net.ipv4.tcp_migrate_req";

/** Read (`name`) or set (`name=value`) a sysctl of the host's network namespace. */

/** A privileged port free on the host (the container shares its network): 80 when it is. */
function privilegedPort(): number {
  for (
    const port of [
      80,
      ...Array.from({ length: 40 }, () => 600 + Math.floor(Math.random() * 400)),
    ]
  ) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch { /* taken */ }
  }
  throw new Error("no free privileged port");
}

async function curl(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("curl", { args: ["-sS", "--max-time", "30", ...args] }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr),
  };
}

async function must(c: Container, command: string): Promise<string> {
  const r = await c.sh(command);
  assertEquals(r.code, 0, `${command}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function prop(c: Container, name: string): Promise<string> {
  return (await must(c, `systemctl show httpserver -p ${name} --value`)).trim();
}

async function waitActive(c: Container, what: string): Promise<void> {
  const until = Date.now() + 60_000;
  while ((await c.sh("systemctl is-active httpserver")).stdout.trim() !== "active") {
    if (Date.now() > until) throw new Error(`not active again: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service with one drop-in; whether it started, and its journal since. */
async function startWith(c: Container, dropIn: string): Promise<{ ok: boolean; journal: string }> {
  const since = (await must(c, "date +%s")).trim();
  await must(
    c,
    `mkdir -p /etc/systemd/system/httpserver.service.d && printf '[Service]\\n${dropIn}\\n' ` +
      `> /etc/systemd/system/httpserver.service.d/test.conf && systemctl daemon-reload`,
  );
  const r = await c.sh("systemctl restart httpserver");
  const journal = await must(c, `journalctl -u httpserver --no-pager --since @${since}`);
  await must(c, "rm -r /etc/systemd/system/httpserver.service.d && systemctl daemon-reload");
  return { ok: r.code === 0, journal };
}

Deno.test("the service in a real systemd: install, start, reload under load, kill -9, stop mid-download, sandbox", async (t) => {
  await ensureRootfs();
  const port = privilegedPort();
  // The container shares the host's network namespace, where net.ipv4.tcp_migrate_req lives;
  // install.sh's /etc/sysctl.d file cannot be applied from inside (read-only /proc/sys), so
  // the test applies it as the host would, and puts the old value back.
  const migrateBefore = (await sysctl(MIGRATE)).trim();
  await sysctl(`${MIGRATE}=1`);
  const c = await bootContainer([
    [REPO, "/src"],
    [Deno.execPath(), "/usr/local/bin/deno"],
    ["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt"], // npm fetches
  ]);
  const scratch = tempDir();
  try {
    const url = `http://127.0.0.1:${port}`;

    await t.step("install.sh installs the user, program, unit, README and sysctl", async () => {
      await must(c, "mkdir -p /etc/logrotate.d"); // as the logrotate package makes it
      const out = await must(c, `cd /src && ./install.sh --prefix ${PREFIX}`);
      assert.match(out, /created the system user httpserver/);
      await must(c, "id httpserver");
      assertEquals((await must(c, "systemctl is-enabled httpserver")).trim(), "enabled");
      const unit = await must(c, "cat /etc/systemd/system/httpserver.service");
      assert.ok(!unit.includes("/opt/httpserver"), "every path moved to the prefix");
      assert.match(unit, new RegExp(`^Documentation=file://${PREFIX}/README.md$`, "m"));
      await must(c, `test -f ${PREFIX}/README.md`);
      assert.match(await must(c, "cat /etc/sysctl.d/60-httpserver.conf"), /tcp_migrate_req = 1/);
      assert.match(
        await must(c, "cat /etc/logrotate.d/httpserver"),
        new RegExp(`^${PREFIX}/logs/\\*\\.log \\{$`, "m"),
      );
      assertEquals((await must(c, `ls -A ${PREFIX}/logs`)).trim(), "", "no logs shipped");
      const owners = await must(
        c,
        `stat -c '%U %n' ${PREFIX}/logs ${PREFIX}/www/html ${PREFIX}/http.conf ${PREFIX}/httpserver`,
      );
      assert.match(owners, new RegExp(`^httpserver ${PREFIX}/logs$`, "m"));
      assert.match(owners, new RegExp(`^httpserver ${PREFIX}/www/html$`, "m"));
      assert.match(owners, new RegExp(`^root ${PREFIX}/httpserver$`, "m"));
      // The site: the privileged port, no memcached in the container, a big file.
      await must(
        c,
        `sed -i 's/^Listen = .*/Listen = 127.0.0.1:${port}/; s/^Memcached = .*/Memcached =/' ${PREFIX}/http.conf`,
      );
      // Larger than what the socket buffers of both ends hold (about 36 MiB here), and read at
      // 8 MB/s: the server is still sending it seconds after the stop is asked for.
      const big = new Uint8Array(64 * 1024 * 1024);
      for (let off = 0; off < big.length; off += 65536) {
        crypto.getRandomValues(big.subarray(off, off + 65536));
      }
      Deno.writeFileSync(join(scratch, "big.bin"), big);
      await c.copyIn(join(scratch, "big.bin"), `${PREFIX}/www/html/big.bin`);
    });

    await t.step(
      "systemctl start: READY once listening, curl from the host gets 200, the journal has the listening line",
      async () => {
        await must(c, "systemctl start httpserver"); // Type=notify: returns once READY=1 came
        assertEquals((await curl(["-o", "/dev/null", "-w", "%{http_code}", `${url}/`])).out, "200");
        const journal = await must(c, "journalctl -u httpserver --no-pager");
        assert.match(
          journal,
          new RegExp(`httpserver listening on http://127\\.0\\.0\\.1:${port} \\(\\d+ workers\\)`),
        );
        assert.match(await prop(c, "StatusText"), /^listening on /);
        assertEquals(await prop(c, "WatchdogUSec"), "30s");
      },
    );

    await t.step(
      "systemctl reload under load: no failed request, the new config applies; a bad config fails the reload",
      async () => {
        const stop = join(scratch, "stop");
        const load = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            join(REPO, "tests", "helpers", "load_client.ts"),
            "--port",
            String(port),
            "--keep-alive",
            "4",
            "--fresh",
            "4",
            "--stop-file",
            stop,
            "--max-seconds",
            "120",
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const done = load.output();
        try {
          await must(
            c,
            `sed -i 's|^\\[CacheControl\\]$|[CacheControl]\\n*.txt = max-age=77|' ${PREFIX}/http.conf`,
          );
          await must(c, "systemctl reload httpserver"); // returns once the reload is done
          const head = await curl(["-D", "-", "-o", "/dev/null", `${url}/hello.txt`]);
          assert.match(head.out, /\r\nCache-Control: max-age=77\r\n/);
          await must(
            c,
            `printf 'NoSuchKey = 1\\n' | cat - ${PREFIX}/http.conf > /tmp/c && cat /tmp/c > ${PREFIX}/http.conf`,
          );
          const bad = await c.sh("systemctl reload httpserver");
          assert.notEqual(bad.code, 0, "a refused http.conf fails systemctl reload");
          assertEquals((await must(c, "systemctl is-active httpserver")).trim(), "active");
          assert.match(
            await prop(c, "StatusText"),
            /^reload failed, still serving .*http\.conf:1: NoSuchKey: /,
          );
          await must(c, `sed -i '1d' ${PREFIX}/http.conf`);
          await must(c, "systemctl reload httpserver");
        } finally {
          Deno.writeTextFileSync(stop, "");
        }
        const report = JSON.parse(new TextDecoder().decode((await done).stdout)) as LoadReport;
        const summary = JSON.stringify(report);
        assertEquals([report.failed, report.resets, report.closedUnanswered], [0, 0, 0], summary);
        assert.ok(report.ok > 50, summary);
      },
    );

    await t.step("kill -9 of the main process: Restart brings it back", async () => {
      const pid = await prop(c, "MainPID");
      assert.ok(Number(pid) > 1, `a main process to kill: MainPID=${pid}`); // never "kill -9 0"
      await must(c, `kill -9 ${pid}`);
      const until = Date.now() + 60_000;
      while ((await prop(c, "MainPID")) === pid || (await prop(c, "MainPID")) === "0") {
        if (Date.now() > until) throw new Error("not restarted");
        await new Promise((r) => setTimeout(r, 200));
      }
      await waitActive(c, "after kill -9");
      assertEquals(await prop(c, "NRestarts"), "1");
      assertEquals((await curl(["-o", "/dev/null", "-w", "%{http_code}", `${url}/`])).out, "200");
    });

    await t.step(
      "the sandbox: its own user, one capability, no writes outside ReadWritePaths",
      async () => {
        const pid = await prop(c, "MainPID");
        const status = await must(c, `cat /proc/${pid}/status`);
        const uid = (await must(c, "id -u httpserver")).trim();
        assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"));
        assert.match(status, /^CapEff:\s+0000000000000400$/m, "CAP_NET_BIND_SERVICE only");
        assert.match(status, /^CapBnd:\s+0000000000000400$/m);
        assert.match(status, /^NoNewPrivs:\s+1$/m);
        assert.match(status, /^Seccomp:\s+2$/m);
        // A shell in the service's own mount namespace, as its user.
        const as = (cmd: string) => c.sh(`nsenter -t ${pid} -m -S ${uid} -G ${uid} sh -c '${cmd}'`);
        for (
          const outside of [`${PREFIX}/x`, `${PREFIX}/http.conf`, "/etc/x", "/usr/x"]
        ) {
          assert.notEqual((await as(`echo x >> ${outside}`)).code, 0, `${outside} is not writable`);
        }
        assertEquals(
          (await as(`echo x > ${PREFIX}/logs/probe && rm ${PREFIX}/logs/probe`)).code,
          0,
        );
        assertEquals(
          (await as(`echo x > ${PREFIX}/www/html/probe && rm ${PREFIX}/www/html/probe`)).code,
          0,
        );
        assert.notEqual((await as("ls /root /home")).code, 0, "home folders are hidden");
      },
    );

    await t.step(
      "the privileged port is bound through the capability only; the options left off would break it",
      async () => {
        const noCap = await startWith(c, "AmbientCapabilities=");
        assert.ok(!noCap.ok);
        assert.match(
          noCap.journal,
          new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: Permission denied`),
        );
        const users = await startWith(c, "PrivateUsers=true");
        assert.ok(!users.ok);
        assert.match(users.journal, /Permission denied/);
        const wx = await startWith(c, "MemoryDenyWriteExecute=true"); // V8's JIT needs W+X pages
        assert.ok(!wx.ok);
        // systemd cannot inspect openat2's flags, so RestrictSUIDSGID= makes it fail (ENOSYS);
        // the file layer opens every file through it.
        const suid = await startWith(c, "RestrictSUIDSGID=true");
        assert.ok(!suid.ok);
        assert.match(suid.journal, /openat2/);
        await must(c, "systemctl restart httpserver");
        assertEquals((await curl(["-o", "/dev/null", "-w", "%{http_code}", `${url}/`])).out, "200");
      },
    );

    await t.step("systemd-analyze security scores the installed unit 2.0 or lower", async () => {
      const out = await must(
        c,
        "systemd-analyze security --offline=true /etc/systemd/system/httpserver.service",
      );
      const score = Number(
        /Overall exposure level for httpserver\.service: ([\d.]+)/.exec(out)?.[1],
      );
      assert.ok(score <= 2.0, `score ${score}\n${out}`);
    });

    await t.step("systemctl stop during a download: it completes, exit status 0", async () => {
      const file = join(scratch, "got.bin");
      const dl = new Deno.Command("curl", {
        args: [
          "-sS",
          "--limit-rate",
          "8M",
          "-o",
          file,
          "-w",
          "%{http_code} %{size_download}",
          `${url}/big.bin`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = dl.output();
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        try {
          if (Deno.statSync(file).size > 0) break; // under way
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 50));
      }
      await must(c, "systemctl stop httpserver");
      const r = await out;
      assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
      assertEquals(new TextDecoder().decode(r.stdout), `200 ${64 * 1024 * 1024}`);
      const want = await crypto.subtle.digest(
        "SHA-256",
        Deno.readFileSync(join(scratch, "big.bin")),
      );
      const got = await crypto.subtle.digest("SHA-256", Deno.readFileSync(file));
      assertEquals(new Uint8Array(got), new Uint8Array(want), "byte-identical");
      assertEquals(await prop(c, "Result"), "success");
      assertEquals(await prop(c, "ExecMainStatus"), "0");
      assert.match(
        await must(c, `cat ${PREFIX}/logs/error.log`),
        /caught SIGTERM, shutting down[\s\S]*shutdown complete/,
      );
    });

    await t.step(
      "an upgrade keeps http.conf, www/ and logs/; --uninstall removes the service and the program only",
      async () => {
        await must(c, `echo kept > ${PREFIX}/www/html/mine.txt`);
        await must(c, `cd /src && ./install.sh --prefix ${PREFIX}`);
        assert.match(
          await must(c, `cat ${PREFIX}/http.conf`),
          new RegExp(`^Listen = 127\\.0\\.0\\.1:${port}$`, "m"),
        );
        assertEquals(await must(c, `cat ${PREFIX}/www/html/mine.txt`), "kept\n");
        await must(c, `test -s ${PREFIX}/logs/error.log`);
        await must(c, "systemctl start httpserver");
        assertEquals((await curl([`${url}/mine.txt`])).out, "kept\n");
        await must(c, `cd /src && ./install.sh --uninstall --prefix ${PREFIX}`);
        assert.notEqual((await c.sh("systemctl cat httpserver")).code, 0, "the unit is gone");
        assert.notEqual(
          (await c.sh(`test -e ${PREFIX}/httpserver`)).code,
          0,
          "the program is gone",
        );
        assert.notEqual((await c.sh("test -e /etc/logrotate.d/httpserver")).code, 0);
        await must(
          c,
          `test -f ${PREFIX}/http.conf && test -f ${PREFIX}/www/html/mine.txt && test -d ${PREFIX}/logs`,
        );
      },
    );
  } finally {
    await c.close();
    await sysctl(`${MIGRATE}=${migrateBefore}`);
    Deno.removeSync(scratch, { recursive: true });
  }
});
