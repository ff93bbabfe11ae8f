-- The adaptive master pool target (pool_target_mode = adaptive): enough ready campaigns to cover
-- the most creations seen within one refill time, at this hour of the day, over the trailing week,
-- times a safety factor:
--   refill time  pool_replenish_delay_seconds (a refill waits that long after a creation), plus
--                the measured seeding time (the average of the last 100 pool seedings) for each
--                refill pending (each campaign the pool lacks now, at least one);
--   peak         the largest number of creations (pool_assignments, inline ones too) within any
--                window of one refill time that starts in this hour or the next (UTC) on one of
--                the last 7 days: the next hour too, so that the pool grows before a busy hour;
--   target       ceil(peak × pool_safety_factor (1.5)), clamped to [pool_min_ready, pool_target_max].
-- With no history it is pool_min_ready. The pool monitor applies it every minute.

create or replace function app_private.pool_refill_seconds() returns numeric
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.setting('pool_replenish_delay_seconds', '5')::numeric
         + coalesce((select avg(seeding_duration_ms) from (
             select seeding_duration_ms from app_public.campaigns
              where pool_type is not null and seeding_duration_ms is not null
              order by pool_created_at desc limit 100) as recent), 0) / 1000.0
           * greatest(1, app_private.pool_target_size() - app_private.master_pool_ready())
  $$;
comment on function app_private.pool_refill_seconds() is
  E'How long refilling the master pool takes now: the replenish delay plus the measured seeding time for each campaign it lacks.';

create or replace function app_private.adaptive_pool_target(at timestamptz, refill_seconds numeric) returns integer
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    with this_hour as (
      select extract(hour from at at time zone 'UTC')::integer as hour
    ), history as (
      select assigned_at from app_public.pool_assignments, this_hour
       where assigned_at >= at - interval '7 days' and assigned_at < at
         and extract(hour from assigned_at at time zone 'UTC')::integer in (this_hour.hour, (this_hour.hour + 1) % 24)
    ), windows as (
      select count(*) over (order by assigned_at range between current row and make_interval(secs => refill_seconds::double precision) following) as creations
        from history
    )
    select least(app_private.pool_target_max(),
                 greatest(app_private.pool_min_ready(),
                          ceil(coalesce(max(creations), 0) * app_private.setting('pool_safety_factor', '1.5')::numeric)::integer))
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
