// health_ping (cron, every minute): records that this worker process is alive, so operators can
// see silent workers (`select * from ops.worker_heartbeats`), and forgets processes gone for a day.
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
