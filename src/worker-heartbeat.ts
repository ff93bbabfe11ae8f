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
import type pg from "pg";

export const BEAT_EVERY_MS = 5_000;
// Six beats: a live process late by a pause or a slow database is not presumed dead, and a dead
// one is found within DEAD_AFTER_SECONDS + BEAT_EVERY_MS by any live one.
export const DEAD_AFTER_SECONDS = 30;

export interface WorkerHeartbeat {
  /** Call once the pool has stopped: stops beating, unlocks what it still holds, forgets it. */
  stop(): Promise<void>;
}

export function startWorkerHeartbeat(pool: pg.Pool, workerId: string): WorkerHeartbeat {
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
      if (failing) console.log("worker heartbeat: beating again");
      failing = false;
    } catch (error) {
      // Said once per outage; the next beat is the retry.
      if (!failing) console.error(`worker heartbeat: ${(error as Error).message}`);
      failing = true;
    }
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
      clearTimeout(next);
      await beating;
      await pool
        .query("select app_private.end_worker_heartbeat($1)", [workerId])
        // Then it counts as dead after DEAD_AFTER_SECONDS, and live workers unlock what it held.
        .catch((error: Error) => console.error(`worker heartbeat: ${error.message}`));
    },
  };
}
