// The timer alarm: wakes graphile-worker at the moment each timer falls due.
//
// graphile-worker finds a job that becomes due in the future by polling (every 2 s by default), so
// a timer would fire up to 2 s late, and a burst of timers later still. The alarm keeps the due
// times of the next PENDING timers in memory, sleeps until the earliest, and then nudges as many
// idle workers as timers fell due (they keep taking jobs until none is due). It re-reads the
// schedule when timers are scheduled or moved (NOTIFY on `timers`, sent by
// app_private.enqueue_timer_jobs), when its list runs out, and every REREAD_MS in case a
// notification was lost. Polling stays on as the fallback: the alarm only makes firing prompt.
import { type Kysely, sql } from "kysely";
import type { DB } from "../db/kysely.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import { coalescedReads } from "../pages/coalesced-reads.js";

/** How many upcoming due times are held in memory at once. */
const BATCH = 1_000;
const REREAD_MS = 30_000;
// setTimeout fires at once for a delay past 2^31-1 ms (24.8 days), and would ring in a loop for a
// timer further ahead; the periodic re-read comes long before, so no sleep needs to be longer.
const LONGEST_SLEEP_MS = REREAD_MS;

export interface TimerAlarm {
  stop(): Promise<void>;
}

export async function startTimerAlarm(options: {
  db: Kysely<DB>;
  hub: NotificationHub;
  /** Wakes up to `count` idle workers to look for due jobs now. */
  wake: (count: number) => void;
}): Promise<TimerAlarm> {
  const { db, hub, wake } = options;
  /** Due times on this process's clock (ms), soonest first. */
  let deadlines: number[] = [];
  let listIsFull = false;
  let sleeping: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let stopped = false;

  // The due time is SQL's rule (app_private.timer_due_at); the alarm only asks for it.
  const dueAt = sql<Date>`app_private.timer_due_at(scheduled_at, next_attempt_at)`;

  async function readSchedule(): Promise<void> {
    // Measured on the database's clock and turned into local deadlines on arrival, so the two
    // clocks never need to agree; arrival is later than the reading, so a deadline is never early.
    const rows = await db
      .selectFrom("app_public.campaign_timers")
      .select(sql<number>`extract(epoch from ${dueAt} - clock_timestamp()) * 1000`.as("due_in_ms"))
      .where("status", "=", "PENDING")
      .where(dueAt, ">", sql<Date>`clock_timestamp()`)
      .orderBy(dueAt)
      .limit(BATCH)
      .execute();
    const arrived = Date.now();
    deadlines = rows.map((row) => arrived + Number(row.due_in_ms));
    listIsFull = rows.length === BATCH;
    sleepUntilNextDeadline();
  }

  // One read at a time; a request during a read makes one more read after it.
  const refresh = coalescedReads(async () => {
    if (stopped) return;
    await readSchedule().catch((error: Error) => console.error(`timer alarm: ${error.message}`));
  });
  function reread(): void {
    if (!stopped) reading = refresh();
  }

  function sleepUntilNextDeadline(): void {
    clearTimeout(sleeping);
    if (stopped) return;
    const next = deadlines[0];
    sleeping =
      next === undefined ? setTimeout(reread, REREAD_MS) : setTimeout(ring, Math.min(LONGEST_SLEEP_MS, Math.max(0, next - Date.now())));
  }

  function ring(): void {
    const now = Date.now();
    const due = deadlines.findIndex((deadline) => deadline > now);
    const count = due === -1 ? deadlines.length : due;
    deadlines = deadlines.slice(count);
    if (count > 0) wake(count);
    if (deadlines.length === 0) reread();
    else sleepUntilNextDeadline();
  }

  const stopListening = await hub.listen("timers", (payload) => {
    const { event, first_due_at: firstDueAt } = JSON.parse(payload) as { event?: string; first_due_at?: string };
    // Timers that changed state (for dashboards) do not move the schedule; resync and scheduling do.
    if (event === "timers_changed") return;
    // A timer due after everything held in a full list is read when the list runs out.
    const horizon = listIsFull ? deadlines.at(-1)! : Infinity;
    if (!firstDueAt || Date.parse(firstDueAt) <= horizon) reread();
  });
  const periodic = setInterval(reread, REREAD_MS);
  await readSchedule();

  return {
    async stop() {
      stopped = true;
      clearInterval(periodic);
      clearTimeout(sleeping);
      await stopListening();
      await reading;
    },
  };
}
