-- Admin operations on the pools, as GraphQL (poolStatus, replenishPools, setPoolTarget,
-- setPoolsEnabled) and for psql. Each checks assert_admin first.

-- The pools at a glance, in one place: pool_status() gives it to admins as JSON, the view
-- ops.pool_status to operators in psql.
do $$
begin
  -- template_version, master_current and target_mode were added: out parameters change only by
  -- dropping the function (and ops.pool_status, which sql/920_pool_ops_views.sql makes again).
  if not exists (select 1 from pg_catalog.pg_proc where proname = 'pool_report' and 'target_mode' = any(proargnames)) then
    drop function if exists app_private.pool_report() cascade;
  end if;
end
$$;
create or replace function app_private.pool_report(out enabled boolean, out master_ready integer, out master_target integer,
                                                   out being_created integer, out master_oldest_at timestamptz,
                                                   out user_pools integer, out health jsonb,
                                                   out template_version integer, out master_current integer,
                                                   out target_mode text) returns record
  language sql stable
  as $$
    select app_private.pools_enabled(), sizes.master_ready, app_private.pool_target_size(),
           app_private.pools_being_replenished(), sizes.master_oldest_at, sizes.user_pools, app_private.pool_health(),
           app_private.latest_template_version(), sizes.master_current, app_private.pool_target_mode()
      from app_private.pool_sizes() sizes
  $$;
comment on function app_private.pool_report() is
  E'Pools on or off; master ready / target / being created / oldest; user pools; health (ok, warning or critical, with the reason); the template version and how many ready master campaigns carry it; the target mode.';

-- What every change of a pool setting says on the pool channel, with what changed.
create or replace function app_private.notify_pool_settings_changed(changed jsonb) returns void
  language sql volatile
  as $$ select pg_notify('pool', (jsonb_build_object('event', 'pool_settings_changed') || changed)::text) $$;
comment on function app_private.notify_pool_settings_changed(jsonb) is
  E'Sends pool_settings_changed on the pool channel, with the settings that changed (target, mode, enabled).';

-- security definer (these functions): admins see every campaign through RLS anyway, but settings,
-- jobs and graphile-worker's tables are app_private's and graphile_worker's.
create or replace function app_public.pool_status() returns jsonb
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_report record;
begin
  perform app_private.assert_admin();
  v_report := app_private.pool_report();
  return jsonb_build_object(
    'enabled', v_report.enabled,
    'master', jsonb_build_object(
      'ready', v_report.master_ready,
      'target', v_report.master_target,
      'being_created', v_report.being_created,
      'oldest_age_seconds', round(extract(epoch from now() - v_report.master_oldest_at))::bigint,
      'on_current_version', v_report.master_current,
      'target_mode', v_report.target_mode),
    'template_version', v_report.template_version,
    'user_pools', jsonb_build_object('users', v_report.user_pools, 'total', v_report.user_pools),
    'health', v_report.health);
end;
$$;
comment on function app_public.pool_status() is
  E'Admins only. The pools at a glance: master ready / target / being created / oldest age / how many of the current template version, user pools, health (ok, warning or critical, with the reason), the template version.';

create or replace function app_public.replenish_pools() returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  -- The job key makes pressing it twice one job; the task never fills above the target.
  perform app_private.enqueue_pool_refill('master', refill_now => true);
  return app_public.pool_status();
end;
$$;
comment on function app_public.replenish_pools() is
  E'Admins only. Refills the master pool up to its target now, in the background.';

create or replace function app_public.set_pool_target(size integer) returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  if size is null or size < 0 or size > app_private.pool_target_max() then
    raise exception 'the master pool target must be between 0 and % (got %)', app_private.pool_target_max(), coalesce(size::text, 'null')
      using errcode = 'CE205';
  end if;
  perform app_private.set_setting('pool_target_size', to_jsonb(size));
  perform app_private.notify_pool_settings_changed(jsonb_build_object('target', size));
  perform app_private.enqueue_pool_refill('master', refill_now => true);
  return app_public.pool_status();
end;
$$;
comment on function app_public.set_pool_target(integer) is
  E'Admins only. Sets how many campaigns the master pool keeps ready (0 to pool_target_max, default 50) and refills it.';

create or replace function app_public.set_pool_target_mode(mode text) returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  if mode is null or mode not in ('fixed', 'adaptive') then
    raise exception 'pool_target_mode is fixed or adaptive (got %)', coalesce(quote_literal(mode), 'null') using errcode = 'CE209';
  end if;
  perform app_private.set_setting('pool_target_mode', to_jsonb(mode));
  perform app_private.apply_adaptive_pool_target();
  perform app_private.notify_pool_settings_changed(jsonb_build_object('mode', mode));
  perform app_private.enqueue_pool_refill('master', refill_now => true);
  return app_public.pool_status();
end;
$$;
comment on function app_public.set_pool_target_mode(text) is
  E'Admins only. fixed: the master pool keeps set_pool_target''s target; adaptive: the pool monitor sizes it from the assignment history (sql/515_pool_sizing.sql).';

create or replace function app_public.set_pools_enabled(enabled boolean) returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  if enabled is null then
    raise exception 'enabled must be true or false' using errcode = 'CE208';
  end if;
  perform app_private.set_setting('pools_enabled', to_jsonb(enabled));
  perform app_private.notify_pool_settings_changed(jsonb_build_object('enabled', enabled));
  if enabled then
    perform app_private.enqueue_pool_refill('master', refill_now => true);
  end if;
  return app_public.pool_status();
end;
$$;
comment on function app_public.set_pools_enabled(boolean) is
  E'Admins only. The rollback switch: off, every campaign is seeded inline and pools are not refilled; on again, the master pool refills.';
