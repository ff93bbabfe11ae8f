// replenish_pool { pool_type: "master" } | { pool_type: "user", user_id }: fills the pool up to its
// target, one campaign per transaction (sql/510_replenish_pool.sql decides whether one is
// missing, under a lock per pool, so concurrent jobs never overfill it). Enqueued, with a job key
// per pool, by create_campaign, the pool monitor and the admin operations. A failure throws, and
// graphile-worker retries with backoff; what was committed before it stays.
import type { Task } from "graphile-worker";
import { isUuid } from "../src/uuid.ts";

// The most one job adds, so a misconfigured target cannot keep a worker busy for ever.
const MAX_PER_JOB = 100;

const task: Task = async (payload, helpers) => {
  const { pool_type: poolType, user_id: userId } = (payload ?? {}) as { pool_type?: unknown; user_id?: unknown };
  if (!(poolType === "master" || (poolType === "user" && isUuid(userId)))) {
    throw new Error(`replenish_pool needs {"pool_type": "master"} or {"pool_type": "user", "user_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  let added = 0;
  await helpers.withPgClient(async (client) => {
    // Dashboards show the pools being refilled right now (pool_status: being_created).
    const pool = [poolType, poolType === "user" ? userId : null];
    await client.query("select app_private.start_replenishing($1, $2)", pool);
    try {
      while (added < MAX_PER_JOB) {
        const { rows: [row] } = await client.query<{ id: string | null }>("select app_private.add_pool_campaign($1, $2) as id", pool);
        if (!row?.id) break;
        added += 1;
      }
    } finally {
      await client.query("select app_private.finish_replenishing($1, $2)", pool).catch(() => {});
    }
  });
  helpers.logger.debug(`replenish_pool ${poolType}${poolType === "user" ? ` ${userId}` : ""}: added ${added}`);
};

export default task;
