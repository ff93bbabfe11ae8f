// health_ping (cron, every minute): records that this worker pool took a job, so operators see
// every worker in `select * from ops.worker_heartbeats`, including a plain `npx graphile-worker`
// process, which has no heartbeat loop of its own; and forgets workers gone for a day.
//
// Kept beside the heartbeat of src/worker-heartbeat.ts, and never mistaken for it: a busy worker
// runs this job late, so it only refreshes beat_at and promises nothing (dead_after stays null
// for a worker it alone beats for, and such a worker is never presumed dead and unlocked).
import type { Task } from "graphile-worker";

const task: Task = async (_payload, helpers) => {
  const workerId = helpers.job.locked_by ?? "unknown";
  await helpers.withPgClient((client) => client.query("select app_private.record_health_ping($1)", [workerId]));
};

export default task;
