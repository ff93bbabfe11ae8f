// GET /health: 200 when the database answers, the worker runs, no committed migration is pending
// and, while pools are on, the master pool has a campaign ready; 503 otherwise, with the failing
// part named, for load balancers and uptime checkers. The pool's health (ok, warning or critical,
// with the reason) is reported either way.
import { type Kysely, sql } from "kysely";
import type { Middleware } from "koa";
import type { DB } from "../db/kysely.ts";
import { pendingMigrations } from "../db/migrate.ts";

export interface HealthSources {
  db: Kysely<DB>;
  workerRunning(): boolean;
}

interface PoolHealth {
  status: "ok" | "warning" | "critical";
  reason: string;
  /** app_private.master_pool_empty(): creations are all seeded inline, slowly. */
  empty: boolean;
}

async function poolHealth(db: Kysely<DB>): Promise<PoolHealth> {
  const { rows: [row] } = await sql<{ health: Omit<PoolHealth, "empty">; empty: boolean }>`
    select app_private.pool_health() as health,
           app_private.master_pool_empty() as empty
  `.execute(db);
  return { ...row!.health, empty: row!.empty };
}

async function check(sources: HealthSources) {
  let database: "ok" | string = "ok";
  let migrations: "current" | string = "current";
  let pool: PoolHealth | "unknown" = "unknown";
  try {
    const pending = await pendingMigrations(sources.db);
    if (pending.length > 0) migrations = `pending: ${pending.join(", ")}`;
    else pool = await poolHealth(sources.db);
  } catch (error) {
    database = `unreachable: ${(error as Error).message}`;
    migrations = "unknown";
  }
  const worker = sources.workerRunning() ? "running" : "stopped";
  const poolReady = pool !== "unknown" && !pool.empty;
  const healthy = database === "ok" && migrations === "current" && worker === "running" && poolReady;
  return { healthy, body: { status: healthy ? "ok" : "unhealthy", database, worker, migrations, pool } };
}

export function healthRoute(sources: HealthSources): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "GET" || ctx.path !== "/health") return next();
    const { healthy, body } = await check(sources);
    ctx.status = healthy ? 200 : 503;
    ctx.body = body;
  };
}
