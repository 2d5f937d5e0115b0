/**
 * The status page as a worker answers it (`ServerStatusPath`, `?json`, `/metrics`): only for
 * clients in ServerStatusAllow, GET and HEAD only; the instance view comes from the main
 * thread (bounded wait) and the cluster counters from the shared store.
 * @module
 */

import type { Config } from "../config/config.ts";
import { renderStatusHtml } from "../pages/status_html.ts";
import {
  type InstanceView,
  METRICS_CONTENT_TYPE,
  renderStatusJson,
  renderStatusMetrics,
  splitCounters,
  type StatusSnapshot,
  type StatusView,
  statusView,
} from "../pages/status_page.ts";
import type { ResilientStore } from "../session/resilient_store.ts";
import { type ResponsePlan, withoutBody } from "../static/plan.ts";
import { IpAllowList } from "./ip_allow.ts";
import type { FromWorker } from "./messages.ts";
import type { ServerRequest } from "./request.ts";
import type { ErrorLog } from "./sessions.ts";
import { TOP_RESOURCES } from "./status_board.ts";

/** How long a status page waits for the main thread's instance view. */
export const STATUS_MAIN_TIMEOUT_MS = 1000;

const encoder = new TextEncoder();

/** Plans the error page of a status. */
export type ErrorPlanner = (status: number, method: string, message?: string) => ResponsePlan;

/** One worker's status page. */
export class StatusEndpoint {
  readonly #path: string;
  readonly #allow: IpAllowList;
  readonly #id: number;
  readonly #store: ResilientStore;
  readonly #post: (m: FromWorker) => void;
  readonly #log: ErrorLog;
  readonly #waiting = new Map<number, (v: InstanceView | null) => void>();
  #seq = 0;

  constructor(
    config: Config,
    o: {
      readonly id: number;
      readonly store: ResilientStore;
      readonly post: (m: FromWorker) => void;
      readonly log: ErrorLog;
    },
  ) {
    this.#path = config.statusPath;
    this.#allow = new IpAllowList(config.statusAllow);
    this.#id = o.id;
    this.#store = o.store;
    this.#post = o.post;
    this.#log = o.log;
  }

  /** The plan for `req` when it asks for the status page, else null (not ours to answer). */
  answer(req: ServerRequest, errorPlan: ErrorPlanner): Promise<ResponsePlan> | null {
    if (!req.target.startsWith(this.#path)) return null;
    const view = statusView(req.target, this.#path);
    if (view === null) return null;
    return this.#answer(req, view, errorPlan);
  }

  async #answer(
    req: ServerRequest,
    view: StatusView,
    errorPlan: ErrorPlanner,
  ): Promise<ResponsePlan> {
    if (!this.#allow.allows(req.peer.ip)) {
      this.#log("info", "status", `status page refused to ${req.peer.ip}`, req.peer);
      return errorPlan(403, req.method);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      const p = errorPlan(405, req.method);
      return { ...p, fields: [...p.fields, ["Allow", "GET, HEAD"]] };
    }
    const snap = await this.snapshot();
    const [type, text] = view.kind === "json"
      ? ["application/json; charset=utf-8", renderStatusJson(snap)]
      : view.kind === "metrics"
      ? [METRICS_CONTENT_TYPE, renderStatusMetrics(snap)]
      : ["text/html; charset=utf-8", renderStatusHtml(snap, view.refreshS, this.#path)];
    const data = encoder.encode(text);
    const plan: ResponsePlan = {
      status: 200,
      fields: [
        ["Content-Type", type],
        ["Content-Length", String(data.length)],
        ["Cache-Control", "no-store"],
        ["X-Content-Type-Options", "nosniff"],
      ],
      body: { kind: "bytes", data },
    };
    return req.method === "HEAD" ? withoutBody(plan) : plan;
  }

  /** The instance view (from the main thread) and cluster counters (from the store). */
  async snapshot(): Promise<StatusSnapshot> {
    const [instance, cluster] = await Promise.all([
      this.#askMain(),
      this.#store.readCounts(TOP_RESOURCES),
    ]);
    return {
      generatedMs: Date.now(),
      servedBy: this.#id,
      instance: instance === null
        ? null
        : { ...instance, counters: splitCounters(instance.counters) },
      cluster: cluster === null ? null : splitCounters(cluster),
    };
  }

  #askMain(): Promise<InstanceView | null> {
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        resolve(null);
      }, STATUS_MAIN_TIMEOUT_MS);
      this.#waiting.set(seq, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.#post({ type: "status-request", id: this.#id, seq });
    });
  }

  /** The main thread's answer to a status request. */
  onStatus(seq: number, instance: InstanceView): void {
    const w = this.#waiting.get(seq);
    this.#waiting.delete(seq);
    w?.(instance);
  }
}
