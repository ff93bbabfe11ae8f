// fire_timer { timer_id }: fires one campaign timer; its job is keyed by the timer id and added by
// the triggers of sql/410_campaign_timers.sql, at the timer's due time (the timer alarm wakes the
// worker then). The rules are in sql/420_fire_timer.sql; this task holds one connection for the
// whole attempt, because the timer's advisory lock taken by start_timer_execution belongs to it:
//   1. claim (its own transaction, so RUNNING and the STARTED execution are visible at once);
//   2. the effect and COMPLETED, committed, then the lock released (finish_timer_execution, one call);
//   3. on failure, record it: fail_timer_execution schedules the retry with backoff itself, so
//      the job succeeds either way and graphile-worker's own retries stay for lost connections.
import type { Task } from "graphile-worker";
import { isUuid } from "../src/uuid.ts";

const task: Task = async (payload, helpers) => {
  const timerId = (payload as { timer_id?: unknown } | null)?.timer_id;
  if (!isUuid(timerId)) {
    throw new Error(`fire_timer needs {"timer_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  const workerId = helpers.job.locked_by ?? "unknown";

  await helpers.withPgClient(async (client) => {
    const {
      rows: [claim],
    } = await client.query<{ execution_id: string | null }>("select app_private.start_timer_execution($1, $2) as execution_id", [
      timerId,
      workerId,
    ]);
    const executionId = claim?.execution_id;
    if (!executionId) return; // not due, already done, cancelled, or being fired by another worker
    try {
      await client.query("call app_private.finish_timer_execution($1, $2)", [executionId, timerId]);
    } catch (error) {
      const message = (error as Error).message;
      const {
        rows: [outcome],
      } = await client.query<{ status: string }>("select app_private.fail_timer_execution($1, $2) as status", [executionId, message]);
      await client.query("select pg_advisory_unlock(app_private.timer_lock_key($1))", [timerId]);
      helpers.logger.error(`timer ${timerId} failed (${message}); it is now ${outcome?.status}`);
    }
  });
};

export default task;
