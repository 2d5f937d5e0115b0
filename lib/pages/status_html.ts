/**
 * The status page as HTML, in the spirit of Apache's mod_status: summary cards, responses by
 * status class, workers, top resources with their last client, sessions and the store.
 * Self-refreshing (meta refresh), self-contained (inline CSS, no scripts, no external
 * resources), every value HTML-escaped. Pure.
 * @module
 */

import { formatSize } from "./dir_listing.ts";
import { escapeHtml } from "./html.ts";
import type { CountersView, InstanceView, StatusSnapshot } from "./status_page.ts";

const CSS = `
:root{--bg:#f4f6f8;--card:#fff;--ink:#1f2933;--mute:#616e7c;--line:#e4e7eb;--acc:#2563eb}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;
background:var(--bg);color:var(--ink)}header{background:#111827;color:#f9fafb;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.35rem;font-weight:600}header p{margin:.2rem 0 0;color:#9ca3af;font-size:.85rem}
main{max-width:72rem;margin:0 auto;padding:1.5rem 2rem 3rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:1rem;margin-bottom:1.5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.9rem 1.1rem}
.card .k{color:var(--mute);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:1.45rem;font-weight:600;font-variant-numeric:tabular-nums}.card .s{color:var(--mute);font-size:.8rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.2rem;margin-bottom:1.5rem}
h2{font-size:1rem;margin:0 0 .8rem}table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);font-size:.88rem}
th{color:var(--mute);font-weight:500}td.n,th.n{text-align:right}td.r{font-family:ui-monospace,monospace;word-break:break-all}
.bar{display:flex;height:.9rem;border-radius:.45rem;overflow:hidden;background:var(--line);margin:.3rem 0 .6rem}
.bar span{display:block}.c1{background:#94a3b8}.c2{background:#16a34a}.c3{background:#2563eb}.c4{background:#f59e0b}.c5{background:#dc2626}
.legend{display:flex;flex-wrap:wrap;gap:1rem;font-size:.82rem;color:var(--mute)}.legend i{display:inline-block;width:.7rem;height:.7rem;border-radius:.2rem;margin-right:.3rem;vertical-align:-.05rem}
.pill{display:inline-block;padding:0 .55rem;border-radius:1rem;font-size:.78rem;font-weight:600}
.ok{background:#dcfce7;color:#166534}.warn{background:#fef3c7;color:#92400e}.bad{background:#fee2e2;color:#991b1b}
footer{color:var(--mute);font-size:.8rem;text-align:center}a{color:var(--acc)}
`;

/** Whole seconds as "2d 3h 4m 5s". */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (s >= size || parts.length > 0) parts.push(`${Math.floor(s / size)}${unit}`);
    s %= size;
  }
  parts.push(`${s}s`);
  return parts.join(" ");
}

function num(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function time(ms: number): string {
  return ms <= 0 ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function card(k: string, v: string, sub = ""): string {
  return `<div class="card"><div class="k">${escapeHtml(k)}</div><div class="v">${
    escapeHtml(v)
  }</div><div class="s">${escapeHtml(sub)}</div></div>`;
}

function pill(state: string): string {
  const cls = state === "ready" || state === "up" ? "ok" : state === "down" ? "bad" : "warn";
  return `<span class="pill ${cls}">${escapeHtml(state)}</span>`;
}

function classBar(c: CountersView): string {
  const total = c.classes.reduce((a, b) => a + b, 0);
  const spans = c.classes.map((n, i) =>
    n === 0
      ? ""
      : `<span class="c${i + 1}" style="width:${((n / total) * 100).toFixed(2)}%"></span>`
  ).join("");
  const legend = c.classes.map((n, i) =>
    `<span><i class="c${i + 1}"></i>${i + 1}xx ${num(n)}</span>`
  )
    .join("");
  return `<div class="bar">${spans}</div><div class="legend">${legend}</div>`;
}

function resources(c: CountersView, scope: string): string {
  const row = (r: CountersView["resources"][number]) =>
    `<tr><td class="r">${escapeHtml(r.name)}</td><td class="n">${num(r.count)}</td><td>${
      escapeHtml(r.lastClient || "-")
    }</td><td>${escapeHtml(time(r.lastMs))}</td></tr>`;
  const empty = `<tr><td colspan="4">No requests counted yet.</td></tr>`;
  const head =
    `<tr><th>Resource</th><th class="n">Requests</th><th>Last client</th><th>Last request</th></tr>`;
  const other = c.other === undefined || c.other.length === 0
    ? ""
    : `<h2>Other responses (${
      escapeHtml(scope)
    })</h2><p>Errors and unparsable requests are counted by status, not by the path asked for.` +
      `</p><table>${head.replace("Resource", "Counted as")}${c.other.map(row).join("")}</table>`;
  return `<section><h2>Top resources (${escapeHtml(scope)})</h2>${classBar(c)}<table>` +
    `${head}${c.resources.map(row).join("") || empty}</table>${other}</section>`;
}

/** The session store at a glance: whether sessions are shared with other instances. */
function storeCard(i: InstanceView): string {
  const st = i.store;
  if (!i.sessions.enabled) return card("Sessions", "off", "Sessions = Off");
  if (st.kind === "memory") {
    return card("Sessions", "this instance", "in process memory: no Memcached to share them");
  }
  if (st.state === "up") return card("Sessions", "shared", `memcached ${st.servers}`);
  if (st.state === "down") {
    return card("Sessions", "this instance", `memcached ${st.servers} unreachable`);
  }
  return card("Sessions", "connecting", `memcached ${st.servers}`);
}

function summary(i: InstanceView, cluster: CountersView | null): string {
  const ready = i.workers.filter((w) => w.state === "ready").length;
  const rate = `${i.requestsPerSec.toFixed(1)} req/s now`;
  const sentRate = `${formatSize(i.bytesPerSec)}/s now`;
  const requests = cluster === null
    ? card("Requests", num(i.requests), rate)
    : card("Requests", num(cluster.requests), `all instances · ${num(i.requests)} here · ${rate}`);
  const sent = cluster === null
    ? card("Sent", formatSize(i.bytes), sentRate)
    : card("Sent", formatSize(cluster.bytes), `all instances · ${formatSize(i.bytes)} here`);
  return `<div class="cards">${
    [
      card("Uptime", formatDuration(i.nowMs - i.startedMs), `since ${time(i.startedMs)}`),
      requests,
      sent,
      card("Connections", num(i.connections), "open now on this instance"),
      card("Workers", `${ready}/${i.workers.length}`, `ready · ${i.restarts} restarts`),
      storeCard(i),
    ].join("")
  }</div>`;
}

function workers(i: InstanceView): string {
  const rows = i.workers.map((w) =>
    `<tr><td>${w.id}</td><td>${pill(w.state)}</td><td class="n">${num(w.connections)}</td>` +
    `<td class="n">${num(w.requests)}</td><td class="n">${escapeHtml(formatSize(w.bytes))}</td>` +
    `<td>${escapeHtml(time(w.lastHeardMs))}</td></tr>`
  ).join("");
  return `<section><h2>Workers</h2><table><tr><th>#</th><th>State</th><th class="n">Connections` +
    `</th><th class="n">Requests</th><th class="n">Sent</th><th>Last report</th></tr>${rows}` +
    `</table></section>`;
}

function sessions(i: InstanceView): string {
  const s = i.sessions;
  const st = i.store;
  const cells = s.enabled
    ? [
      ["New cookies", num(s.issued)],
      ["Requests with a session", num(s.resumed)],
      ["Rejected (bad signature)", num(s.rejected)],
      ["Renewed (expired/unknown)", num(s.renewed)],
      ["Store lookups", num(s.lookups)],
      ["Lookups unanswered", num(s.unavailable)],
    ]
    : [["Sessions", "off"]];
  // With no Memcached the in-process store is the design, not an outage: no "off" pill.
  const store = st.kind === "memory"
    ? "in this process (not shared with other instances: set Memcached to share them)"
    : `${pill(st.state)} memcached ${escapeHtml(st.servers)} since ${escapeHtml(time(st.sinceMs))}${
      st.detail === "" ? "" : ` — ${escapeHtml(st.detail)}`
    }`;
  const rows = cells.map(([k, v]) => `<tr><td>${escapeHtml(k!)}</td><td class="n">${v}</td></tr>`);
  return `<section><h2>Sessions (this instance)</h2><p>Store: ${store}</p><table>${
    rows.join("")
  }</table></section>`;
}

/**
 * The HTML view.
 * @param s the snapshot
 * @param refreshS seconds between reloads (0 = none)
 * @param path the status URL path (for the links to the other views)
 */
export function renderStatusHtml(s: StatusSnapshot, refreshS: number, path: string): string {
  const i = s.instance;
  const title = i === null ? "Server status" : `${i.server} status — ${i.hostname}`;
  const refresh = refreshS > 0 ? `<meta http-equiv="refresh" content="${refreshS}">` : "";
  const body = i === null
    ? `<section><h2>Instance</h2><p>The main thread did not answer in time.</p></section>`
    : summary(i, s.cluster) + workers(i) + sessions(i) +
      (s.cluster === null ? resources(i.counters, "this instance") : "");
  const cluster = s.cluster === null ? "" : resources(s.cluster, "all instances");
  const sub = i === null ? "" : `pid ${i.pid} · served by worker ${s.servedBy}`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex">${refresh}<title>${escapeHtml(title)}</title>` +
    `<style>${CSS}</style></head><body><header><h1>${escapeHtml(title)}</h1><p>${
      escapeHtml(time(s.generatedMs))
    } · ${escapeHtml(sub)}${refreshS > 0 ? ` · refreshes every ${refreshS}s` : ""}</p></header>` +
    `<main>${body}${cluster}${footer(path, refreshS)}</main></body></html>\n`;
}

function footer(path: string, refreshS: number): string {
  const p = escapeHtml(path);
  const toggle = refreshS > 0
    ? `<a href="${p}?refresh=0">stop refreshing</a>`
    : `<a href="${p}?refresh=5">refresh every 5s</a>`;
  return `<footer><a href="${p}?json">JSON</a> · <a href="${p.replace(/\/$/, "")}/metrics">` +
    `Prometheus metrics</a> · ${toggle}</footer>`;
}
