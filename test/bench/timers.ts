// Timer benchmark: BENCH_TIMERS (default 10,000) campaigns are scheduled through
// app_public.schedule_campaign with START timers due over the same 60 seconds, and fired by the
// worker exactly as `npm start` runs it (startWorker: graphile-worker plus the timer alarm).
// Lateness is executed_at − scheduled_at. The baseline, in the same run, fires BENCH_BASELINE_TIMERS
// (default 2,000) timers due over another 60 seconds with graphile-worker alone, as the plain
// `npx graphile-worker` CLI would (finding due jobs by polling).
//   npm run bench -- timers
import { run } from "graphile-worker";
import { type Kysely, sql } from "kysely";
import preset from "../../graphile.config.ts";
import { createKysely, type DB } from "../../src/db/kysely.ts";
import { startWorker } from "../../src/worker.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const TIMERS = Number(process.env.BENCH_TIMERS || 10_000);
const BASELINE_TIMERS = Number(process.env.BENCH_BASELINE_TIMERS || 2_000);
const WINDOW_S = 60;
/** Time to schedule every timer before the first is due. */
const LEAD_S = 40;
const SCHEDULE_BATCH = 500;

const round = (value: number) => Math.round(value * 100) / 100;

/** Creates `count` campaigns and schedules their START timers evenly over the window. */
async function scheduleTimers(db: Kysely<DB>, ownerId: string, count: number, label: string): Promise<void> {
  await sql`
    insert into app_public.campaigns (user_id, name)
    select ${ownerId}, ${label} || ' ' || n from generate_series(1, ${count}) as n
  `.execute(db);
  const {
    rows: [first],
  } = await sql<{ first_due_at: Date }>`
    select now() + ${LEAD_S} * interval '1 second' as first_due_at
  `.execute(db);
  // Through the public function, as an admin would, SCHEDULE_BATCH campaigns per transaction.
  for (let offset = 0; offset < count; offset += SCHEDULE_BATCH) {
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('jwt.claims.is_admin', 'true', true)`.execute(trx);
      await sql`
        select app_public.schedule_campaign(
          c.id,
          ${first!.first_due_at}::timestamptz + (c.n - 1) * (${WINDOW_S}::numeric / ${count}) * interval '1 second',
          24, false)
        from (select id, split_part(name, ' ', 2)::int as n from app_public.campaigns where name like ${`${label} %`}) as c
        where c.n > ${offset} and c.n <= ${offset + SCHEDULE_BATCH}
      `.execute(trx);
    });
  }
}

async function waitUntilFired(db: Kysely<DB>, label: string, count: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const {
      rows: [done],
    } = await sql<{ completed: number }>`
      select count(*)::int as completed from app_public.campaign_timers t join app_public.campaigns c on c.id = t.campaign_id
      where c.name like ${`${label} %`} and t.status = 'COMPLETED'
    `.execute(db);
    if (done!.completed >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function measure(db: Kysely<DB>, label: string) {
  const {
    rows: [stats],
  } = await sql<{
    executed: number;
    late_p50_ms: number;
    late_p99_ms: number;
    late_max_ms: number;
    all_done_s: number;
  }>`
    select count(*)::int as executed,
           percentile_cont(0.5) within group (order by late_ms) as late_p50_ms,
           percentile_cont(0.99) within group (order by late_ms) as late_p99_ms,
           max(late_ms) as late_max_ms,
           extract(epoch from max(executed_at) - max(scheduled_at))::float8 as all_done_s
    from (
      select t.scheduled_at, t.executed_at, extract(epoch from t.executed_at - t.scheduled_at) * 1000 as late_ms
      from app_public.campaign_timers t join app_public.campaigns c on c.id = t.campaign_id
      where c.name like ${`${label} %`} and t.status = 'COMPLETED'
    ) as fired
  `.execute(db);
  // Fired twice = a second completed execution, or a second CREATED → RUNNING in the log.
  const {
    rows: [twice],
  } = await sql<{ duplicates: number }>`
    select (
      (select count(*) from (
         select e.timer_id from app_public.timer_executions e join app_public.campaigns c on c.id = e.campaign_id
         where c.name like ${`${label} %`} and e.status = 'COMPLETED' group by e.timer_id having count(*) > 1) as t)
      + (select count(*) from (
         select l.campaign_id from app_public.campaign_state_log l join app_public.campaigns c on c.id = l.campaign_id
         where c.name like ${`${label} %`} and l.to_state = 'RUNNING' group by l.campaign_id having count(*) > 1) as l)
    )::int as duplicates
  `.execute(db);
  return {
    executed: stats!.executed,
    late_p50_ms: round(stats!.late_p50_ms),
    late_p99_ms: round(stats!.late_p99_ms),
    late_max_ms: round(stats!.late_max_ms),
    all_done_s: round(stats!.all_done_s),
    duplicates: twice!.duplicates,
  };
}

const prepared = await prepareDatabase("campaign_engine_bench_timers", "bench");
const db = createKysely(prepared.url);
try {
  const owner = await db.insertInto("app_public.users").values({ email: "bench@localhost" }).returning("id").executeTakeFirstOrThrow();

  console.log(`scheduling ${TIMERS} timers due over ${WINDOW_S} s, fired by startWorker (graphile-worker + timer alarm)...`);
  // Started first, as in `npm start`: the timers are scheduled while the worker runs.
  const worker = await startWorker(prepared.url);
  await scheduleTimers(db, owner.id, TIMERS, "alarm");
  await waitUntilFired(db, "alarm", TIMERS, Date.now() + (LEAD_S + WINDOW_S + 60) * 1000);
  await worker.stop();
  const alarm = await measure(db, "alarm");

  console.log(`baseline: ${BASELINE_TIMERS} timers due over ${WINDOW_S} s, fired by graphile-worker alone (polling)...`);
  const pollingOnly = await run({ preset, connectionString: prepared.url, noHandleSignals: true });
  await scheduleTimers(db, owner.id, BASELINE_TIMERS, "polling");
  await waitUntilFired(db, "polling", BASELINE_TIMERS, Date.now() + (LEAD_S + WINDOW_S + 60) * 1000);
  await pollingOnly.stop();
  const baseline = await measure(db, "polling");

  console.table({ "startWorker (alarm)": alarm, "graphile-worker alone": baseline });
  console.log(
    JSON.stringify({
      bench: "timers",
      timers: TIMERS,
      ...alarm,
      baseline_timers: BASELINE_TIMERS,
      baseline_late_p50_ms: baseline.late_p50_ms,
      baseline_late_p99_ms: baseline.late_p99_ms,
      baseline_all_done_s: baseline.all_done_s,
      concurrency: preset.worker?.concurrentJobs,
      postgres: prepared.embedded ? "embedded" : "DATABASE_URL",
    }),
  );
} finally {
  await db.destroy();
  await prepared.close();
}
