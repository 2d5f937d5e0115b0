import assert from "node:assert/strict";
import { renderStatusHtml } from "./status_html.ts";
import {
  escapeLabel,
  type InstanceView,
  renderStatusJson,
  renderStatusMetrics,
  RESOURCE_ROWS,
  splitCounters,
  type StatusSnapshot,
  statusView,
} from "./status_page.ts";

const EVIL = `/<script>alert("x")</script>&"'`;

function instance(): InstanceView {
  return {
    server: "httpserver/0.1.0",
    hostname: "host<1>",
    pid: 42,
    startedMs: 1_000_000,
    nowMs: 1_000_000 + 93_784_000,
    workers: [
      { id: 1, state: "ready", connections: 2, requests: 10, bytes: 2048, lastHeardMs: 1 },
      { id: 2, state: "silent", connections: 0, requests: 5, bytes: 0, lastHeardMs: 1 },
    ],
    restarts: 1,
    connections: 2,
    requests: 15,
    bytes: 2048,
    requestsPerSec: 1.234,
    bytesPerSec: 100,
    counters: {
      requests: 15,
      bytes: 2048,
      classes: [0, 12, 1, 2, 0],
      resources: [{ name: EVIL, count: 9, lastClient: "<b>1.2.3.4:5</b>", lastMs: 1 }],
    },
    sessions: {
      enabled: true,
      issued: 3,
      resumed: 4,
      rejected: 1,
      renewed: 0,
      lookups: 2,
      unavailable: 0,
    },
    store: {
      kind: "memcached",
      servers: "127.0.0.1:11211",
      state: "down",
      sinceMs: 5,
      detail: "<x>",
    },
  };
}

const SNAP: StatusSnapshot = {
  generatedMs: 2_000_000,
  servedBy: 1,
  instance: instance(),
  cluster: { requests: 30, bytes: 4096, classes: [0, 30, 0, 0, 0], resources: [] },
};

Deno.test("statusView() picks HTML, JSON or metrics from the target", () => {
  const p = "/server-status";
  assert.deepEqual(statusView(p, p), { kind: "html", refreshS: 5 });
  assert.deepEqual(statusView(`${p}?json`, p), { kind: "json", refreshS: 5 });
  assert.deepEqual(statusView(`${p}?refresh=30&json`, p), { kind: "json", refreshS: 30 });
  assert.deepEqual(statusView(`${p}?refresh=0`, p), { kind: "html", refreshS: 0 });
  assert.deepEqual(statusView(`${p}?refresh=99999`, p), { kind: "html", refreshS: 3600 });
  assert.deepEqual(statusView(`${p}?refresh=-1`, p), { kind: "html", refreshS: 5 });
  assert.deepEqual(statusView(`${p}/metrics`, p), { kind: "metrics", refreshS: 5 });
  assert.deepEqual(statusView("/s/metrics", "/s/"), { kind: "metrics", refreshS: 5 });
  for (const t of ["/", `${p}x`, `${p}/`, `${p}/other`, "/server-statu", `http://h${p}`]) {
    assert.equal(statusView(t, p), null, t);
  }
});

Deno.test("renderStatusJson() is the snapshot as JSON", () => {
  assert.deepEqual(JSON.parse(renderStatusJson(SNAP)), SNAP);
});

Deno.test("renderStatusMetrics() writes text format 0.0.4 with escaped labels", () => {
  const m = renderStatusMetrics(SNAP);
  assert.ok(m.endsWith("\n"));
  for (const line of m.trimEnd().split("\n")) {
    assert.match(
      line,
      /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+]+)$/,
      line,
    );
  }
  assert.match(m, /^httpserver_requests_total 15$/m);
  assert.match(m, /^httpserver_responses_total\{class="2xx"\} 12$/m);
  assert.match(m, /^httpserver_workers\{state="silent"\} 1$/m);
  assert.match(m, /^httpserver_uptime_seconds 93784$/m);
  assert.match(
    m,
    /^httpserver_session_store_up\{store="memcached",servers="127.0.0.1:11211"\} 0$/m,
  );
  assert.match(m, /^httpserver_cluster_requests_total 30$/m);
  assert.ok(m.includes(`resource="/<script>alert(\\"x\\")</script>&\\"'"} 9`));
  assert.match(m, /^# TYPE httpserver_requests_total counter$/m);
});

Deno.test("escapeLabel() escapes backslash, quote and newline", () => {
  assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

Deno.test("renderStatusMetrics() without an instance view has only cluster metrics", () => {
  const m = renderStatusMetrics({ ...SNAP, instance: null });
  assert.ok(!m.includes("httpserver_uptime_seconds"));
  assert.match(m, /httpserver_cluster_sent_bytes_total 4096/);
});

Deno.test("renderStatusHtml() escapes every value and refreshes itself", () => {
  const html = renderStatusHtml({ ...SNAP, cluster: null }, 5, "/server-status");
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#39;"));
  assert.ok(html.includes("&lt;b&gt;1.2.3.4:5&lt;/b&gt;"));
  assert.ok(html.includes("host&lt;1&gt;") && !html.includes("host<1>"));
  assert.ok(html.includes("&lt;x&gt;"));
  assert.ok(html.includes('<meta http-equiv="refresh" content="5">'));
  assert.ok(html.includes("1d 2h 3m 4s"));
  assert.ok(html.includes("Top resources (this instance)"));
  assert.ok(
    html.includes('href="/server-status/metrics"') && html.includes('href="/server-status?json"'),
  );
  assert.ok(html.startsWith("<!DOCTYPE html>"));
});

Deno.test("renderStatusHtml() shows cluster counters when there are, and no refresh at 0", () => {
  const html = renderStatusHtml(SNAP, 0, "/st");
  assert.ok(!html.includes("http-equiv"));
  assert.ok(html.includes("Top resources (all instances)"));
  assert.ok(!html.includes("Top resources (this instance)"));
  const none = renderStatusHtml({ ...SNAP, instance: null }, 5, "/st");
  assert.ok(none.includes("did not answer in time"));
});

Deno.test("splitCounters() keeps pseudo names out of the top table, most first, apart", () => {
  const row = (name: string, count: number) => ({ name, count, lastClient: "", lastMs: 0 });
  const many = Array.from({ length: RESOURCE_ROWS + 5 }, (_, i) => row(`/f${i}`, 100 - i));
  const c = splitCounters({
    requests: 1,
    bytes: 1,
    classes: [0, 0, 0, 0, 0],
    resources: [row("(404)", 500), many[0]!, row("(unparsed)", 3), ...many.slice(1), row("*", 9)],
  });
  assert.deepEqual(c.resources.map((r) => r.name), many.slice(0, RESOURCE_ROWS).map((r) => r.name));
  assert.deepEqual(c.other!.map((r) => r.name), ["(404)", "*", "(unparsed)"]);
});

Deno.test("renderStatusHtml() lists errors apart, leads with cluster totals, and names the session store plainly", () => {
  const i = instance();
  const counters = splitCounters({
    ...i.counters,
    resources: [{ name: "(404)", count: 99, lastClient: "", lastMs: 0 }, ...i.counters.resources],
  });
  const memory = {
    ...i,
    counters,
    store: { ...i.store, kind: "memory", servers: "", state: "off" },
  };
  const html = renderStatusHtml({ ...SNAP, instance: memory, cluster: null }, 0, "/s");
  const top = html.slice(html.indexOf("Top resources"), html.indexOf("Other responses"));
  assert.ok(!top.includes("(404)"), "a pseudo resource is not a top resource");
  assert.match(html.slice(html.indexOf("Other responses")), /\(404\)<\/td><td class="n">99</);
  assert.doesNotMatch(html, />off</, "an in-process store is not 'off'");
  assert.match(
    html,
    /Sessions<\/div><div class="v">this instance<\/div><div class="s">in process memory/,
  );
  assert.match(html, /Store: in this process \(not shared/);
  const withCluster = renderStatusHtml(SNAP, 0, "/s"); // cluster: 30 requests, this one 15
  assert.match(
    withCluster,
    /Requests<\/div><div class="v">30<\/div><div class="s">all instances · 15 here/,
  );
  assert.match(
    withCluster,
    /Sessions<\/div><div class="v">this instance<\/div><div class="s">memcached 127\.0\.0\.1:11211 unreachable/,
  );
  const off = renderStatusHtml(
    { ...SNAP, instance: { ...i, sessions: { ...i.sessions, enabled: false } } },
    0,
    "/s",
  );
  assert.match(off, /Sessions<\/div><div class="v">off</);
});

Deno.test("renderStatusMetrics() gives pseudo names their own family", () => {
  const m = renderStatusMetrics({
    ...SNAP,
    cluster: splitCounters({
      ...SNAP.cluster!,
      resources: [{ name: "(404)", count: 4, lastClient: "", lastMs: 0 }],
    }),
  });
  assert.match(m, /^httpserver_cluster_other_requests_total\{name="\(404\)"\} 4$/m);
  assert.doesNotMatch(m, /resource="\(404\)"/);
});
