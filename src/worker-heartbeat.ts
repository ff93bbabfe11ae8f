// The heartbeat of this process's graphile-worker pool (sql/140_worker_heartbeats.sql).
//
// graphile-worker locks every job it runs with its pool's id and, by itself, leaves the jobs of a
// process that died (SIGKILL, out of memory, a lost machine) locked for 4 hours. So every
// BEAT_EVERY_MS this process records that its pool is alive and then unlocks the jobs of pools
// silent for longer than they said (DEAD_AFTER_SECONDS), which other workers then run: a job
// waits on a dead worker for well under a minute as long as one worker process lives.
//
// The heartbeat is a timer of its own, not a job: a worker whose slots are all busy with long
// jobs takes no new job, yet it is alive.
//
// It also frees this process's own stranded jobs: graphile-worker does not wait for a job's
// completion (or failure) to be recorded, and gives up recording it when the database stays away
// long enough, leaving the job locked by a worker that lives on. A job finished over
// STRANDED_AFTER_MS ago and still locked by this worker is unlocked, to run again.
import type { WorkerEvents } from "graphile-worker";
import type pg from "pg";

export const BEAT_EVERY_MS = 5_000;
// Six beats: a live process late by a pause or a slow database is not presumed dead, and a dead
// one is found within DEAD_AFTER_SECONDS + BEAT_EVERY_MS by any live one.
export const DEAD_AFTER_SECONDS = 30;
// Longer than graphile-worker keeps retrying to record a completion.
const STRANDED_AFTER_MS = 60_000;

export interface WorkerHeartbeat {
  /** Call once the pool has stopped: stops beating, unlocks what it still holds, forgets it. */
  stop(): Promise<void>;
}

export function startWorkerHeartbeat(pool: pg.Pool, workerId: string, events: WorkerEvents): WorkerHeartbeat {
  /** Jobs graphile-worker finished, and when: their completion may still be on its way. */
  const finished = new Map<string, number>();
  const onFinished = ({ job }: { job: { id: string } }) => void finished.set(job.id, Date.now());
  events.on("job:complete", onFinished);
  let stopped = false;
  let failing = false;
  let next: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();

  async function beat(): Promise<void> {
    try {
      await pool.query("select app_private.beat_worker($1, make_interval(secs => $2))", [workerId, DEAD_AFTER_SECONDS]);
      const { rows } = await pool.query<{ unlocked: string[] }>("select app_private.unlock_abandoned_jobs($1) as unlocked", [workerId]);
      const unlocked = rows[0]?.unlocked ?? [];
      if (unlocked.length > 0) {
        console.warn(`worker heartbeat: unlocked the jobs of ${unlocked.join(", ")}, silent for over ${DEAD_AFTER_SECONDS}s`);
      }
      await unlockStranded();
      if (failing) console.log("worker heartbeat: beating again");
      failing = false;
    } catch (error) {
      // Said once per outage; the next beat is the retry.
      if (!failing) console.error(`worker heartbeat: ${(error as Error).message}`);
      failing = true;
    }
  }

  async function unlockStranded(): Promise<void> {
    const before = Date.now() - STRANDED_AFTER_MS;
    const settled = [...finished].filter(([, at]) => at < before).map(([id]) => id);
    if (settled.length === 0) return;
    const { rows } = await pool.query<{ stranded: string[] }>("select app_private.unlock_stranded_jobs($1, $2::bigint[]) as stranded", [
      workerId,
      settled,
    ]);
    for (const id of settled) finished.delete(id);
    const stranded = rows[0]?.stranded ?? [];
    if (stranded.length > 0)
      console.warn(`worker heartbeat: unlocked jobs ${stranded.join(", ")}, finished but never recorded (a database outage)`);
  }

  function loop(): void {
    beating = beat().finally(() => {
      if (!stopped) next = setTimeout(loop, BEAT_EVERY_MS);
    });
  }
  loop();

  return {
    async stop() {
      stopped = true;
      events.off("job:complete", onFinished);
      clearTimeout(next);
      await beating;
      await pool
        .query("select app_private.end_worker_heartbeat($1)", [workerId])
        // Then it counts as dead after DEAD_AFTER_SECONDS, and live workers unlock what it held.
        .catch((error: Error) => console.error(`worker heartbeat: ${error.message}`));
    },
  };
}
