// The graphile-worker runner, configured by graphile.config.ts (tasks/ and crontab), with the timer
// alarm that fires campaign timers on time (src/timers/alarm.ts) and the heartbeat that unlocks
// the jobs of dead workers (src/worker-heartbeat.ts).
import { EventEmitter } from "node:events";
import { run, type WorkerEvents, type WorkerPool } from "graphile-worker";
import { sql } from "kysely";
import preset from "../graphile.config.ts";
import { createPool } from "./db/connection.ts";
import { createKysely } from "./db/kysely.ts";
import { NotificationHub } from "./notifications/hub.ts";
import { Teardown } from "./shutdown.ts";
import { startTimerAlarm } from "./timers/alarm.ts";
import { startWorkerHeartbeat, type WorkerHeartbeat } from "./worker-heartbeat.ts";

export interface RunningWorker {
  events: WorkerEvents;
  /** Settles when the worker stops. */
  promise: Promise<void>;
  /** Finishes running jobs (up to gracefulShutdownAbortTimeout), then releases connections. */
  stop(): Promise<void>;
}

// A worker that dies mid-job must not leave its query running on the server (holding locks and
// the timer it was firing): Postgres checks every 2 s that the client is still there.
function withDeadClientCheck(connectionString: string): string {
  const url = new URL(connectionString);
  url.searchParams.set("options", "-c client_connection_check_interval=2000");
  return url.toString();
}

/** `hub`: the process's notification hub when it has one already (npm start), so that the process has one hub, not two. */
export async function startWorker(connectionString: string, { hub: sharedHub }: { hub?: NotificationHub } = {}): Promise<RunningWorker> {
  const started = new Teardown();
  try {
    const events: WorkerEvents = new EventEmitter();
    let workerPool: WorkerPool | undefined;
    events.on("pool:create", (event) => (workerPool = event.workerPool));
    // The worker's connections, shared with its heartbeat; ended once both have stopped.
    const pgPool = createPool(withDeadClientCheck(connectionString), "worker", { max: preset.worker?.maxPoolSize ?? 10 });
    await started.add(() => pgPool.end());
    // Stops beating only after the runner has stopped (steps are undone in reverse order).
    let heartbeat: WorkerHeartbeat | undefined;
    await started.add(async () => heartbeat?.stop());
    // Signals are handled by our own shutdown, which stops the worker in order.
    const runner = await run({ preset, pgPool, noHandleSignals: true, events });
    await started.add(() => runner.stop());
    if (!workerPool) throw new Error("graphile-worker started without a worker pool");
    heartbeat = startWorkerHeartbeat(pgPool, workerPool.id, events);

    const db = createKysely(connectionString, { part: "alarm", max: 1 });
    await started.add(() => db.destroy());
    let hub = sharedHub;
    if (!hub) {
      const ownHub = new NotificationHub(connectionString);
      await started.add(() => ownHub.close());
      await ownHub.connect();
      hub = ownHub;
    }
    const alarm = await startTimerAlarm({ db, hub, wake: (count) => workerPool?.nudge(count) });
    await started.add(() => alarm.stop());

    // Timers a crashed worker left behind are re-driven now, not at the next minute's sweep.
    await runner.addJob("recover_timers", {}, { jobKey: "recover_timers" });
    // An empty master pool (a fresh database, a long stop) fills now, not at the monitor's next minute.
    await sql`select app_private.enqueue_pool_refill('master', refill_now => true)`.execute(db);
    return { events: runner.events, promise: runner.promise, stop: () => started.run() };
  } catch (error) {
    await started.run().catch(() => {});
    throw error;
  }
}
