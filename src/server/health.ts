// GET /health: 200 when the database answers, the worker runs and no committed migration is
// pending; 503 otherwise, with the failing part named, for load balancers and uptime checkers.
import type { Kysely } from "kysely";
import type { Middleware } from "koa";
import type { DB } from "../db/kysely.ts";
import { pendingMigrations } from "../db/migrate.ts";

export interface HealthSources {
  db: Kysely<DB>;
  workerRunning(): boolean;
}

async function check(sources: HealthSources) {
  let database: "ok" | string = "ok";
  let migrations: "current" | string = "current";
  try {
    const pending = await pendingMigrations(sources.db);
    if (pending.length > 0) migrations = `pending: ${pending.join(", ")}`;
  } catch (error) {
    database = `unreachable: ${(error as Error).message}`;
    migrations = "unknown";
  }
  const worker = sources.workerRunning() ? "running" : "stopped";
  const healthy = database === "ok" && migrations === "current" && worker === "running";
  return { healthy, body: { status: healthy ? "ok" : "unhealthy", database, worker, migrations } };
}

export function healthRoute(sources: HealthSources): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "GET" || ctx.path !== "/health") return next();
    const { healthy, body } = await check(sources);
    ctx.status = healthy ? 200 : 503;
    ctx.body = body;
  };
}
