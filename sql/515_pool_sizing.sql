-- The adaptive master pool target (pool_target_mode = adaptive): enough ready campaigns to cover
-- the creations expected at peak within one refill time, at this hour of the day, over the
-- trailing week, times a safety factor:
--   refill time  pool_replenish_delay_seconds (a refill waits that long after a creation), plus
--                the measured seeding time (the average of the last 100 pool seedings) for each
--                refill pending (each campaign the pool lacks now, at least one);
--   peak         for each creation (pool_assignments, inline ones too) in this hour or the next
--                (UTC) on one of the last 7 days, the creations within one refill time from it;
--                the peak is the 99th percentile of those counts: the next hour counts so that the
--                pool grows before a busy hour, and the percentile (not the maximum) so that one
--                burst in a busy hour does not hold the pool high all week, while bursts that recur
--                or make up a quiet hour do;
--   target       ceil(peak × pool_safety_factor (1.5)), clamped to [pool_min_ready, pool_target_max].
-- `npm run bench -- pool-sizing` replays a week against it: with a day-night curve and bursts it
-- serves over 99 % from the pool with fewer idle campaign-hours than the smallest fixed target
-- that does (README, Adaptive pool size).
-- With no history it is pool_min_ready. The pool monitor applies it every minute.

create or replace function app_private.pool_refill_seconds(pending integer) returns numeric
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.setting('pool_replenish_delay_seconds', '5')::numeric
         + coalesce((select avg(seeding_duration_ms) from (
             select seeding_duration_ms from app_public.campaigns
              where pool_type is not null and seeding_duration_ms is not null
              order by pool_created_at desc limit 100) as recent), 0) / 1000.0
           * greatest(1, pending)
  $$;
comment on function app_private.pool_refill_seconds(integer) is
  E'How long refilling the master pool takes with `pending` campaigns to seed: the replenish delay plus the measured seeding time for each (at least one).';

create or replace function app_private.pool_refill_seconds() returns numeric
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.pool_refill_seconds(app_private.pool_target_size() - app_private.master_pool_ready()) $$;
comment on function app_private.pool_refill_seconds() is
  E'How long refilling the master pool takes now, for the campaigns it lacks.';

-- The history is read as eight ranges of pool_assignments_assigned_at_idx (this hour and the next
-- on each of the last 7 days and today), not as a week filtered by hour: a twelfth of the rows.
create or replace function app_private.adaptive_pool_target(at timestamptz, refill_seconds numeric) returns integer
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    with hours as (
      select greatest(date_trunc('hour', at, 'UTC') - days_ago * interval '1 day', at - interval '7 days') as from_at,
             least(date_trunc('hour', at, 'UTC') - days_ago * interval '1 day' + interval '2 hours', at) as until
        from generate_series(0, 7) as days_ago
    ), history as (
      select a.assigned_at
        from hours
        join app_public.pool_assignments a on a.assigned_at >= hours.from_at and a.assigned_at < hours.until
    ), windows as (
      select count(*) over (order by assigned_at range between current row and make_interval(secs => refill_seconds::double precision) following) as creations
        from history
    )
    select least(app_private.pool_target_max(),
                 greatest(app_private.pool_min_ready(),
                          ceil(coalesce(percentile_disc(0.99) within group (order by creations), 0)
                               * app_private.setting('pool_safety_factor', '1.5')::numeric)::integer))
      from windows
  $$;
comment on function app_private.adaptive_pool_target(timestamptz, numeric) is
  E'The master pool target the history asks for at `at`, for a refill taking refill_seconds (the rule is in sql/515_pool_sizing.sql).';

create or replace function app_private.apply_adaptive_pool_target() returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_target integer;
begin
  if app_private.pool_target_mode() <> 'adaptive' then
    return null;
  end if;
  v_target := app_private.adaptive_pool_target(now(), app_private.pool_refill_seconds());
  if v_target is distinct from app_private.pool_adaptive_target() then
    perform app_private.set_setting('pool_adaptive_target', to_jsonb(v_target));
    perform app_private.notify_pool_settings_changed(jsonb_build_object('target', v_target, 'mode', 'adaptive'));
  end if;
  return v_target;
end;
$$;
comment on function app_private.apply_adaptive_pool_target() is
  E'In adaptive mode, sets the master pool target to what adaptive_pool_target says now (the pool monitor calls it every minute).';
