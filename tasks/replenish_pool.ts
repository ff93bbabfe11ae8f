// replenish_pool { pool_type: "master" } | { pool_type: "user", user_id }: fills the pool up to its
// target, one campaign per transaction (sql/510_replenish_pool.sql decides whether one is
// missing, under a lock per pool, so concurrent jobs never overfill it). Enqueued, with a job key
// per pool, by create_campaign, the pool monitor and the admin operations. A failure raises the
// alert pool_refill_failing and throws, and graphile-worker retries with backoff; what was
// committed before it stays. A refill that succeeds resolves the alert (sql/510_replenish_pool.sql).
import type { JobHelpers, Task } from "graphile-worker";
import { isUuid } from "../src/uuid.ts";

// The most one job adds, so a misconfigured target cannot keep a worker busy for ever.
const MAX_PER_JOB = 100;

const task: Task = async (payload, helpers) => {
  const { pool_type: poolType, user_id: userId } = (payload ?? {}) as { pool_type?: unknown; user_id?: unknown };
  const poolUserId = poolType === "user" && isUuid(userId) ? userId : null;
  let added: number;
  try {
    if (!(poolType === "master" || (poolType === "user" && poolUserId))) {
      throw new Error(
        `replenish_pool needs {"pool_type": "master"} or {"pool_type": "user", "user_id": "<uuid>"}, got ${JSON.stringify(payload)}`,
      );
    }
    added = await refill(helpers, poolType, poolUserId);
  } catch (error) {
    // The alert (pool_refill_failing, with this error) is committed on its own statement and
    // connection: the failed work was rolled back, and graphile-worker retries the job.
    const { message, code } = error as { message?: string; code?: string };
    await helpers
      .withPgClient((client) =>
        client.query("select app_private.refill_failed($1, $2, $3, $4, $5, $6)", [
          typeof poolType === "string" ? poolType : null,
          poolUserId,
          message ?? String(error),
          code ?? null,
          helpers.job.attempts,
          helpers.job.max_attempts,
        ]),
      )
      .catch((alertError: Error) => helpers.logger.error(`replenish_pool: could not raise pool_refill_failing: ${alertError.message}`));
    throw error;
  }
  await helpers.withPgClient((client) => client.query("select app_private.refill_succeeded($1, $2, $3)", [poolType, poolUserId, added]));
  helpers.logger.debug(`replenish_pool ${poolType}${poolUserId ? ` ${poolUserId}` : ""}: added ${added}`);
};

/** Adds pool campaigns until the pool is full; returns how many it added. */
async function refill(helpers: JobHelpers, poolType: "master" | "user", userId: string | null): Promise<number> {
  let added = 0;
  await helpers.withPgClient(async (client) => {
    // Dashboards show the pools being refilled right now (pool_status: being_created).
    const pool = [poolType, userId];
    await client.query("select app_private.start_replenishing($1, $2)", pool);
    try {
      while (added < MAX_PER_JOB) {
        const {
          rows: [row],
        } = await client.query<{ id: string | null }>("select app_private.add_pool_campaign($1, $2) as id", pool);
        if (!row?.id) break;
        added += 1;
      }
    } finally {
      await client.query("select app_private.finish_replenishing($1, $2)", pool).catch(() => {});
    }
  });
  return added;
}

export default task;
