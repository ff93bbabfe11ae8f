// health_ping (cron, every minute): records that this worker pool took a job, so operators see
// every worker in `select * from ops.worker_heartbeats`, including a plain `npx graphile-worker`
// process, which has no heartbeat loop of its own; and forgets workers gone for a day.
//
// Kept beside the heartbeat of src/worker-heartbeat.ts, and never mistaken for it: a busy worker
// runs this job late, so it only refreshes beat_at and promises nothing (dead_after stays null
// for a worker it alone beats for, and such a worker is never presumed dead and unlocked).
import type { Task } from "graphile-worker";
import { sql } from "kysely";
import { compileOnly } from "../src/db/compile.ts";

const task: Task = async (_payload, helpers) => {
  const workerId = helpers.job.locked_by ?? "unknown";
  const beat = compileOnly
    .insertInto("app_hidden.worker_heartbeats")
    .values({ worker_id: workerId, beat_at: sql<Date>`now()` })
    .onConflict((conflict) => conflict.column("worker_id").doUpdateSet({ beat_at: sql<Date>`now()` }))
    .compile();
  const forget = compileOnly
    .deleteFrom("app_hidden.worker_heartbeats")
    .where("beat_at", "<", sql<Date>`now() - interval '1 day'`)
    .compile();
  await helpers.withPgClient(async (client) => {
    await client.query(beat.sql, beat.parameters as unknown[]);
    await client.query(forget.sql, forget.parameters as unknown[]);
  });
};

export default task;
