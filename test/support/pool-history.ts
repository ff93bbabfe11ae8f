// A year of pool history, as the admin dashboard reads it: one pool_metrics snapshot a minute
// (525,600 rows) and 100 assignments a day (36,500), analyzed. Shared by the admin test (the page
// loads with it) and the pages benchmark (how fast).
const YEAR_OF_POOL_HISTORY = [
  `insert into app_public.pool_metrics (recorded_at, master_ready, master_target, user_pools, assignments_today,
                                        pool_hits_today, replenishments_today, avg_seeding_ms, avg_assignment_ms)
   select at, 3 + (n % 5), 3, n % 40, (n % 1440) / 15, (n % 1440) / 16, (n % 1440) / 15, 200 + n % 50, 10 + n % 7
     from generate_series(1, 525600) as n, lateral (select now() - n * interval '1 minute' as at) as t`,
  `insert into app_public.pool_assignments (source, pool_created_at, pool_age, assignment_ms, assigned_at)
   select case when n % 10 = 0 then 'inline' else 'master' end::app_public.campaign_source,
          at - interval '2 hours', interval '2 hours', 5 + n % 20, at
     from generate_series(1, 36500) as n, lateral (select now() - n * interval '864 seconds' as at) as t`,
  "analyze app_public.pool_metrics, app_public.pool_assignments",
];

/** Writes it with `run` (the caller's owner connection), one statement after the other. */
export async function writeYearOfPoolHistory(run: (statement: string) => Promise<unknown>): Promise<void> {
  for (const statement of YEAR_OF_POOL_HISTORY) await run(statement);
}
