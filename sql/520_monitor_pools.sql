-- The pool monitor (cron, every minute): records a pool_metrics snapshot, raises and resolves the
-- pool alerts, refills the master pool and deletes pool campaigns nobody took for too long.

create or replace function app_private.pool_health() returns jsonb
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_ready integer := app_private.master_pool_ready();
begin
  if not app_private.pools_enabled() then
    return jsonb_build_object('status', 'warning', 'reason', 'pools are switched off: every campaign is seeded inline');
  elsif v_ready < app_private.pool_min_ready() then
    return jsonb_build_object('status', 'critical',
      'reason', format('the master pool has %s ready (at least %s wanted)', v_ready, app_private.pool_min_ready()));
  elsif v_ready < app_private.pool_target_size() then
    return jsonb_build_object('status', 'warning',
      'reason', format('the master pool has %s ready, below its target of %s', v_ready, app_private.pool_target_size()));
  end if;
  return jsonb_build_object('status', 'ok', 'reason', format('the master pool has %s ready', v_ready));
end;
$$;
comment on function app_private.pool_health() is
  E'ok, warning or critical, with the reason: critical below pool_min_ready, warning below the target or when pools are off.';

create or replace function app_private.master_pool_empty() returns boolean
  language sql stable
  as $$ select app_private.pools_enabled() and app_private.pool_target_size() > 0 and app_private.master_pool_ready() = 0 $$;
comment on function app_private.master_pool_empty() is
  E'True while pools are on, the master pool should hold campaigns and holds none: every creation is seeded inline (readiness reports it as degraded).';

create or replace function app_private.record_pool_metrics() returns app_public.pool_metrics
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    with today as (select date_trunc('day', now(), 'UTC') as since),
    assignments as (
      select count(*)::integer as total, (count(*) filter (where source <> 'inline'))::integer as hits,
             avg(assignment_ms) as avg_ms
        from app_public.pool_assignments, today where assigned_at >= today.since
    ),
    replenishments as (
      select count(*)::integer as total, avg(seeding_duration_ms) as avg_ms
        from app_public.campaigns, today where pool_type is not null and pool_created_at >= today.since
    )
    insert into app_public.pool_metrics (master_ready, master_target, user_pools, assignments_today, pool_hits_today,
                                         replenishments_today, avg_seeding_ms, avg_assignment_ms)
    select sizes.master_ready, app_private.pool_target_size(), sizes.user_pools,
           assignments.total, assignments.hits, replenishments.total,
           round(replenishments.avg_ms, 3), round(assignments.avg_ms, 3)
      from app_private.pool_sizes() sizes, assignments, replenishments
    returning *
  $$;
comment on function app_private.record_pool_metrics() is
  E'Inserts a pool_metrics snapshot (pool sizes, today''s assignments and replenishments, average times).';

-- Raises the alert when the condition holds, resolves it when it does not.
create or replace function app_private.set_alert(condition boolean, alert_severity text, alert_kind text,
                                                 alert_message text, alert_details jsonb default '{}') returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if condition then
    perform app_private.raise_alert(alert_severity, alert_kind, alert_message, alert_details);
  else
    perform app_private.resolve_alert(alert_kind);
  end if;
end;
$$;
comment on function app_private.set_alert(boolean, text, text, text, jsonb) is
  E'Raises the alert of this kind while the condition holds and resolves it once it does not.';

create or replace function app_private.monitor_pools() returns app_public.pool_metrics
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_metrics app_public.pool_metrics := app_private.record_pool_metrics();
  v_max_age_text text := app_private.setting('pool_max_age', '"6 months"') #>> '{}';
  v_max_age interval := v_max_age_text::interval;
  v_slow_ms integer := app_private.setting('pool_slow_seeding_ms', '5000')::integer;
  v_slowest integer;
  v_stale uuid[];
begin
  perform app_private.set_alert(
    app_private.pools_enabled() and v_metrics.master_ready < app_private.pool_min_ready(), 'CRITICAL', 'pool_low',
    format('The master pool has %s ready campaigns (at least %s wanted, target %s).',
           v_metrics.master_ready, app_private.pool_min_ready(), v_metrics.master_target),
    jsonb_build_object('ready', v_metrics.master_ready, 'target', v_metrics.master_target));

  select max(seeding_duration_ms) into v_slowest
    from app_public.campaigns where pool_type is not null and pool_created_at > now() - interval '1 hour';
  perform app_private.set_alert(
    coalesce(v_slowest > v_slow_ms, false), 'WARNING', 'pool_slow_seeding',
    format('Seeding a pool campaign took %s ms in the last hour (over %s ms).', v_slowest, v_slow_ms),
    jsonb_build_object('slowest_ms', v_slowest, 'threshold_ms', v_slow_ms));

  -- Campaigns nobody took within pool_max_age are deleted (their content goes with them by
  -- cascade; images stay while the template or another campaign uses them).
  with stale as (
    delete from app_public.campaigns where is_pool and pool_created_at < now() - v_max_age returning id
  )
  select array_agg(id) into v_stale from stale;
  perform app_private.set_alert(
    v_stale is not null, 'WARNING', 'pool_stale',
    format('Deleted %s pool campaigns older than %s.', cardinality(v_stale), v_max_age_text),
    jsonb_build_object('deleted', to_jsonb(v_stale)));

  perform app_private.apply_adaptive_pool_target();
  if app_private.pools_enabled() and app_private.master_pool_ready() < app_private.pool_target_size() then
    perform app_private.enqueue_pool_refill('master', refill_now => true);
  end if;
  return v_metrics;
end;
$$;
comment on function app_private.monitor_pools() is
  E'Records pool metrics, raises or resolves pool_low / pool_slow_seeding / pool_stale, deletes stale pool campaigns, applies the adaptive target (in adaptive mode) and refills the master pool.';
