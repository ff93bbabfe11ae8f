// Liveness and readiness, as load balancers and orchestrators expect them:
//   GET /health/live   200 while the process and its event loop answer; nothing else is checked,
//                      so a database outage never gets a healthy process restarted.
//   GET /health/ready  200 when this instance can serve: the database answers, no committed
//                      migration is pending, and the worker runs; 503 otherwise, naming what fails.
//   GET /health        the same as /health/ready.
// Pool trouble (an empty master pool, a failing refill) is reported as `degraded` with its reason
// and does not fail readiness: creations still succeed, seeded inline. Taking every instance out
// of a load balancer for it would turn a slow creation into an outage.
// Callers that `showDetail` refuses (anonymous ones, in production) get the same status codes and
// fields with each detail replaced by a word: a driver's error can name hosts, users and tables.

import type { Context, Middleware } from "koa";
import { type Kysely, sql } from "kysely";
import type { DB } from "../db/kysely.ts";
import { pendingMigrations } from "../db/migrate.ts";

export interface HealthSources {
  db: Kysely<DB>;
  /** Owner connection, for graphile-migrate to tell which committed migrations are pending. */
  ownerUrl: string;
  /** Whether this process's worker runs; absent when the process runs none (RUN_WORKER=false). */
  workerRunning?: () => boolean;
}

/** A readiness check that takes longer than this counts as the database not answering. */
const CHECK_TIMEOUT_MS = 3_000;

interface PoolHealth {
  status: "ok" | "warning" | "critical";
  reason: string;
  /** app_private.master_pool_empty(): creations are all seeded inline, slowly. */
  empty: boolean;
  /** The open pool_refill_failing alert's message: the pools are not being refilled. */
  refill_failing: string | null;
}

async function poolHealth(db: Kysely<DB>): Promise<PoolHealth> {
  const {
    rows: [row],
  } = await sql<{ health: Pick<PoolHealth, "status" | "reason">; empty: boolean; refill_failing: string | null }>`
    select app_private.pool_health() as health,
           app_private.master_pool_empty() as empty,
           (select message from app_public.alerts where kind = 'pool_refill_failing' and resolved_at is null) as refill_failing
  `.execute(db);
  return { ...row!.health, empty: row!.empty, refill_failing: row!.refill_failing };
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** What an operator needs from a failure, without the whole driver message. */
function describe(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" ? `${code}: ${String(message)}` : String(message);
}

/** The same answer with what only operators may read replaced by a generic word. */
function withoutDetail(report: Awaited<ReturnType<typeof readiness>>["body"]) {
  const database = report.database === "ok" ? "ok" : "unreachable";
  const migrations = report.migrations.startsWith("pending") ? "pending" : report.migrations;
  const failing = report.pool !== "unknown" && report.pool.refill_failing !== null;
  const pool = report.pool === "unknown" ? report.pool : { ...report.pool, refill_failing: failing ? "failing" : null };
  const degraded = pool === "unknown" ? undefined : degradedReason({ ...pool, refill_failing: failing ? "pool refill failing" : null });
  return { ...report, ...(degraded ? { degraded } : {}), database, migrations, pool };
}

/** Below target is ordinary under load, and pools switched off are an operator's choice; an empty
 * or critically low master pool is what makes creations slow. */
function degradedReason(pool: PoolHealth | "unknown"): string | undefined {
  if (pool === "unknown") return undefined;
  return (
    [
      pool.empty ? "master pool empty: creations are seeded inline" : pool.status === "critical" ? pool.reason : undefined,
      pool.refill_failing,
    ]
      .filter(Boolean)
      .join("; ") || undefined
  );
}

async function readiness(sources: HealthSources) {
  let database = "ok";
  let migrations = "current";
  let pool: PoolHealth | "unknown" = "unknown";
  try {
    const pending = await withTimeout(pendingMigrations(sources.ownerUrl));
    if (pending.length > 0) migrations = `pending: ${pending.join(", ")}`;
    else pool = await withTimeout(poolHealth(sources.db));
  } catch (error) {
    database = `unreachable (${describe(error)})`;
    migrations = "unknown";
  }
  const worker = !sources.workerRunning ? "elsewhere" : sources.workerRunning() ? "running" : "stopped";
  const ready = database === "ok" && migrations === "current" && worker !== "stopped";
  const degraded = degradedReason(pool);
  const status = !ready ? "unready" : degraded ? "degraded" : "ok";
  return { ready, body: { status, ...(degraded ? { degraded } : {}), database, worker, migrations, pool } };
}

/** `showDetail` says who may read what failed in full; the others get a generic word instead. */
export function healthRoute(sources: HealthSources, showDetail: (ctx: Context) => boolean = () => true): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "GET") return next();
    if (ctx.path === "/health/live") {
      ctx.body = { status: "live", uptime_s: Math.round(process.uptime()) };
      return;
    }
    if (ctx.path !== "/health" && ctx.path !== "/health/ready") return next();
    const { ready, body } = await readiness(sources);
    ctx.status = ready ? 200 : 503;
    ctx.body = showDetail(ctx) ? body : withoutDetail(body);
  };
}
