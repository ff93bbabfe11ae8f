-- Pool monitoring for operators in psql: `select * from ops.pool_status;` and so on.

create or replace view ops.pool_status as
  select enabled, master_ready, master_target, now() - master_oldest_at as oldest_master,
         user_pools::bigint as user_pools, being_created::bigint as being_created,
         health ->> 'status' as health, health ->> 'reason' as reason,
         template_version, master_current as master_on_current_version, target_mode
    from app_private.pool_report();
comment on view ops.pool_status is E'The pools at a glance, as app_public.pool_status() reports them to admins.';

create or replace view ops.pool_assignments_today as
  select source, count(*) as campaigns,
         round(avg(assignment_ms), 3) as avg_ms,
         round((percentile_cont(0.99) within group (order by assignment_ms))::numeric, 3) as p99_ms,
         max(pool_age) as oldest_pool_age
    from app_public.pool_assignments
   where assigned_at >= date_trunc('day', now(), 'UTC')
   group by source
   order by source;
comment on view ops.pool_assignments_today is E'Campaigns created since midnight UTC, per source (master pool, user pool, inline), with timings.';

create or replace view ops.recent_alerts as
  select severity, kind, message, raised_at, updated_at, resolved_at,
         coalesce(resolved_at, now()) - raised_at as open_for
    from app_public.alerts
   order by resolved_at is not null, raised_at desc
   limit 50;
comment on view ops.recent_alerts is E'Open alerts first, then the most recent resolved ones.';
