-- Lifecycle upkeep run by cron tasks: the dashboards' materialized views, refreshed concurrently
-- (readers are never blocked), and the clean-up of old timer executions.
-- The views are rebuilt here on every migrate so their definition lives in one place; they are
-- caches, refilled at once.

drop materialized view if exists ops.mv_active_campaigns;
create materialized view ops.mv_active_campaigns as
  select c.id as campaign_id, c.name, c.status, c.start_time, c.end_time,
         count(t.id) filter (where t.status = 'PENDING') as pending_timers,
         min(t.scheduled_at) filter (where t.status = 'PENDING') as next_timer_at,
         (select max(l.created_at) from app_public.campaign_state_log l where l.campaign_id = c.id) as last_transition_at
    from app_public.campaigns c
    left join app_public.campaign_timers t on t.campaign_id = c.id
   where c.status <> 'EXPIRED' and not app_private.is_template(c)
   group by c.id;
create unique index mv_active_campaigns_campaign_id_idx on ops.mv_active_campaigns (campaign_id);
comment on materialized view ops.mv_active_campaigns is
  E'Campaigns not yet EXPIRED with their pending timers and last transition; refreshed by the refresh_lifecycle_views cron task.';

drop materialized view if exists ops.mv_pending_timers;
create materialized view ops.mv_pending_timers as
  select timer_type, date_trunc('hour', scheduled_at) as due_hour, count(*) as timers,
         min(scheduled_at) as first_due_at, max(retry_count) as max_retry_count
    from app_public.campaign_timers
   where status = 'PENDING'
   group by timer_type, date_trunc('hour', scheduled_at);
create unique index mv_pending_timers_type_hour_idx on ops.mv_pending_timers (timer_type, due_hour);
comment on materialized view ops.mv_pending_timers is
  E'PENDING timers per type and hour due; refreshed by the refresh_lifecycle_views cron task.';

create or replace function app_private.refresh_lifecycle_views() returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  refresh materialized view concurrently ops.mv_active_campaigns;
  refresh materialized view concurrently ops.mv_pending_timers;
end;
$$;
comment on function app_private.refresh_lifecycle_views() is
  E'Refreshes ops.mv_active_campaigns and ops.mv_pending_timers without blocking readers.';

create or replace function app_private.cleanup_timer_executions(older_than interval default interval '6 months') returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    with gone as (
      delete from app_public.timer_executions where started_at < now() - older_than returning 1
    )
    select count(*)::integer from gone
  $$;
comment on function app_private.cleanup_timer_executions(interval) is
  E'Deletes timer executions older than older_than (6 months); returns how many.';
