// Prometheus metrics (GET /metrics): process defaults, HTTP requests and graphile-worker jobs.

import type { WorkerEvents } from "graphile-worker";
import type { Middleware } from "koa";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { hasBearer } from "./exposure.ts";

export function createMetrics() {
  // One registry per server, so several servers in one process (tests) do not collide.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method and route",
    labelNames: ["method", "route"],
    registers: [registry],
  });
  const jobs = new Counter({
    name: "worker_jobs_total",
    help: "graphile-worker jobs finished in this process, by task and outcome",
    labelNames: ["task", "outcome"],
    registers: [registry],
  });

  // Known routes only, so a scan of random URLs cannot blow up the label set.
  const routeOf = (path: string) => (["/graphql", "/graphql/stream", "/graphiql", "/health", "/metrics"].includes(path) ? path : "other");

  const middleware: Middleware = async (ctx, next) => {
    const stop = httpDuration.startTimer({ method: ctx.method, route: routeOf(ctx.path) });
    try {
      await next();
    } finally {
      stop();
      httpRequests.inc({ method: ctx.method, route: routeOf(ctx.path), status: String(ctx.status) });
    }
  };

  function observeWorker(runner: { events: WorkerEvents }) {
    runner.events.on("job:success", ({ job }) => jobs.inc({ task: job.task_identifier, outcome: "success" }));
    runner.events.on("job:error", ({ job }) => jobs.inc({ task: job.task_identifier, outcome: "error" }));
  }

  return { registry, middleware, observeWorker };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * GET /metrics. With a `token`, only for `Authorization: Bearer <token>`; without one, open when
 * `openWithoutToken` (development, or a port of its own), else refused to everyone.
 */
export function metricsRoute(metrics: Metrics, { token, openWithoutToken }: { token?: string; openWithoutToken: boolean }): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "GET" || ctx.path !== "/metrics") return next();
    if (token ? !hasBearer(ctx, token) : !openWithoutToken) {
      ctx.status = 401;
      ctx.set("WWW-Authenticate", `Bearer realm="metrics"`);
      ctx.body = {
        error: token
          ? "send the metrics token: Authorization: Bearer <METRICS_TOKEN>"
          : "metrics are off here: set METRICS_TOKEN or METRICS_PORT",
      };
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
