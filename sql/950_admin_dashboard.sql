-- The admin dashboard's data in one call: what /admin shows, also usable from psql
-- (`select jsonb_pretty(app_public.admin_dashboard());`) and GraphQL (adminDashboard).
-- Every part reads an index range (pool_metrics and pool_assignments by time, timers by status),
-- so it stays fast with years of history.

-- When pool_metrics is recorded every minute, a day's last snapshot holds that day's totals. Idle
-- campaign-hours: every seeded campaign waiting (master and user pools), each snapshot's count
-- standing until the next one, for at most 5 minutes (a stopped monitor counts no longer).
create or replace function app_private.pool_metrics_daily(days integer) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    with snapshots as (
      select * from app_public.pool_metrics
       where recorded_at >= date_trunc('day', now(), 'UTC') - (days - 1) * interval '1 day'
    ), last_of_day as (
      select distinct on (date_trunc('day', recorded_at, 'UTC'))
             date_trunc('day', recorded_at, 'UTC') as day, assignments_today, pool_hits_today, replenishments_today,
             avg_seeding_ms, avg_assignment_ms,
             min(master_ready) over (partition by date_trunc('day', recorded_at, 'UTC')) as master_ready_min
        from snapshots
       order by date_trunc('day', recorded_at, 'UTC'), recorded_at desc
    ), idle as (
      select date_bin('1 day', recorded_at, 'epoch') as day, sum(waiting_seconds) / 3600 as idle_campaign_hours
        from (select recorded_at, (master_ready + user_pools)
                     * extract(epoch from least(coalesce(lead(recorded_at) over (order by recorded_at), now()) - recorded_at,
                                                interval '5 minutes')) as waiting_seconds
                from snapshots) as waiting
       group by 1
    )
    select coalesce(jsonb_agg(jsonb_build_object(
             'day', day, 'assignments', assignments_today, 'pool_hits', pool_hits_today,
             'replenishments', replenishments_today, 'avg_seeding_ms', round(avg_seeding_ms, 1),
             'avg_assignment_ms', round(avg_assignment_ms, 1), 'master_ready_min', master_ready_min,
             'idle_campaign_hours', round(idle_campaign_hours, 1)) order by day), '[]')
      from last_of_day join idle using (day);
  $$;
comment on function app_private.pool_metrics_daily(integer) is
  E'Per day (UTC) of the last `days`: assignments, pool hits, replenishments, average seeding and assignment times, lowest master pool, idle campaign-hours.';

create or replace function app_private.pool_metrics_recent(since interval, bucket interval) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(jsonb_agg(jsonb_build_object(
             'at', at, 'master_ready', master_ready, 'master_target', master_target, 'avg_seeding_ms', round(avg_seeding_ms, 1)) order by at), '[]')
      from (
        select date_bin(bucket, recorded_at, 'epoch') as at, min(master_ready) as master_ready,
               max(master_target) as master_target, avg(avg_seeding_ms) as avg_seeding_ms
          from app_public.pool_metrics
         where recorded_at >= now() - since
         group by 1
      ) as buckets;
  $$;
comment on function app_private.pool_metrics_recent(interval, interval) is
  E'pool_metrics of the last `since` in buckets: lowest master pool, its target, average seeding time.';

-- Assignment times from the audit rows, by bucket: p50, p99, count, and how many came from a pool.
create or replace function app_private.assignment_times(since interval, bucket interval) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(jsonb_agg(jsonb_build_object(
             'at', at, 'p50_ms', round(p50::numeric, 2), 'p99_ms', round(p99::numeric, 2),
             'assignments', assignments, 'pool_hits', pool_hits) order by at), '[]')
      from (
        select date_bin(bucket, assigned_at, 'epoch') as at,
               percentile_cont(0.5) within group (order by assignment_ms) as p50,
               percentile_cont(0.99) within group (order by assignment_ms) as p99,
               count(*) as assignments, count(*) filter (where source <> 'inline') as pool_hits
          from app_public.pool_assignments
         where assigned_at >= now() - since
         group by 1
      ) as buckets;
  $$;
comment on function app_private.assignment_times(interval, interval) is
  E'create_campaign times (p50, p99) and counts per bucket over the last `since`, from pool_assignments.';

create or replace function app_private.timer_overview() returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select jsonb_build_object(
      'pending', (select count(*) from app_public.campaign_timers where status = 'PENDING'),
      'overdue', (select count(*) from ops.stuck_timers where status = 'PENDING'),
      'running', (select count(*) from app_public.campaign_timers where status = 'RUNNING'),
      'failed', (select count(*) from app_public.campaign_timers where status = 'FAILED'),
      'stuck_list', (select coalesce(jsonb_agg(jsonb_build_object(
                       'id', timer_id, 'campaign_id', campaign_id, 'type', timer_type, 'status', status,
                       'scheduled_at', scheduled_at, 'overdue_seconds', round(extract(epoch from overdue_by)),
                       'retries', retry_count, 'last_error', last_error)), '[]')
                       from (select * from ops.stuck_timers limit 20) as stuck),
      'failed_list', (select coalesce(jsonb_agg(jsonb_build_object(
                       'id', timer_id, 'campaign_id', campaign_id, 'campaign_name', campaign_name, 'type', timer_type,
                       'scheduled_at', scheduled_at, 'failed_at', failed_at, 'retries', retry_count, 'last_error', last_error)), '[]')
                       from (select * from ops.failed_timers limit 20) as failed));
  $$;
comment on function app_private.timer_overview() is
  E'Timer counts (pending, overdue as ops.stuck_timers defines it, running, failed) and the 20 first stuck and failed timers with their last error.';

create or replace function app_private.alert_overview() returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', id, 'severity', severity, 'kind', kind, 'message', message, 'raised_at', raised_at,
             'resolved_at', resolved_at, 'age_seconds', round(extract(epoch from now() - raised_at)))
             order by resolved_at is not null, severity = 'CRITICAL' desc, raised_at desc), '[]')
      from (
        (select * from app_public.alerts where resolved_at is null)
        union all
        (select * from app_public.alerts where resolved_at is not null order by raised_at desc limit 20)
      ) as shown;
  $$;
comment on function app_private.alert_overview() is
  E'Open alerts first (critical first), then the 20 most recent resolved ones, each with its age.';

create or replace function app_private.recent_assignments(how_many integer) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(jsonb_agg(jsonb_build_object(
             'campaign_id', a.campaign_id, 'campaign_name', c.name, 'source', a.source,
             'pool_created_at', a.pool_created_at, 'activated_at', a.assigned_at,
             'waited_seconds', round(extract(epoch from a.pool_age)), 'assignment_ms', a.assignment_ms)
             order by a.assigned_at desc), '[]')
      from (select * from app_public.pool_assignments order by assigned_at desc limit how_many) as a
      left join app_public.campaigns c on c.id = a.campaign_id;
  $$;
comment on function app_private.recent_assignments(integer) is
  E'The most recent creations: source, when the campaign was seeded and activated, how long it waited in the pool.';

-- security definer: admins only (checked first); it reads graphile_worker's and app_private's tables.
create or replace function app_public.admin_dashboard() returns jsonb
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  return jsonb_build_object(
    'generated_at', now(),
    'pool', app_public.pool_status() || jsonb_build_object('target_max', app_private.pool_target_max()),
    'last_24h', jsonb_build_object(
      'assignments', app_private.assignment_times('24 hours', '1 hour'),
      'pool', app_private.pool_metrics_recent('24 hours', '15 minutes')),
    'last_30d', jsonb_build_object(
      'assignments', app_private.assignment_times('30 days', '1 day'),
      'days', app_private.pool_metrics_daily(30)),
    'recent_assignments', app_private.recent_assignments(20),
    'timers', app_private.timer_overview(),
    'alerts', app_private.alert_overview());
end;
$$;
comment on function app_public.admin_dashboard() is
  E'Admins only. Everything the admin dashboard shows: pool status, assignment and seeding times over 24 hours and 30 days, recent assignments with their time in the pool, timers, alerts.';
