-- Replenishing the pools: the replenish_pool task calls add_pool_campaign until it returns null,
-- each call its own transaction, so a pool campaign is either complete or absent.

-- pool_created_at is the campaign's real age: assignment resets created_at, never this.
create or replace function app_private.tg_campaigns__keep_pool_created_at() returns trigger
  language plpgsql volatile
  as $$
begin
  raise exception 'pool_created_at never changes (campaign %)', OLD.id using errcode = 'CE206';
end;
$$;
comment on function app_private.tg_campaigns__keep_pool_created_at() is
  E'Trigger function: refuses a change of pool_created_at.';
create or replace trigger _110_keep_pool_created_at before update of pool_created_at on app_public.campaigns
  for each row when (OLD.pool_created_at is distinct from NEW.pool_created_at)
  execute function app_private.tg_campaigns__keep_pool_created_at();

-- The advisory lock that serialises a pool's replenishers.
create or replace function app_private.pool_lock_key(wanted_pool app_public.pool_type, pool_user_id uuid default null)
  returns bigint
  language sql immutable
  set search_path = pg_catalog, public, pg_temp
  as $$ select hashtextextended('pool:' || wanted_pool || ':' || coalesce(pool_user_id::text, ''), 0) $$;
comment on function app_private.pool_lock_key(app_public.pool_type, uuid) is
  E'The transaction advisory lock add_pool_campaign takes for a pool; whoever holds it holds off that pool''s refills.';

-- Pool campaigns seeded from an older template version are replaced, as a rolling refresh after
-- a publish: the master pool counts only current ones towards its target, and every campaign it
-- adds retires one stale campaign in the same transaction (the oldest not being handed over), so
-- the number ready never drops meanwhile. Once the current ones reach the target, the stale rest
-- go. A user's own pool campaign, one at most, is replaced in one transaction. Deleting a campaign
-- deletes its content; the images it shared stay (sql/330_image_purge.sql).
create or replace function app_private.retire_stale_pool_campaigns(wanted_pool app_public.pool_type, pool_user_id uuid,
                                                                    how_many integer) returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    with stale as (
      select id from app_public.campaigns
       where is_pool and pool_type = wanted_pool and (pool_user_id is null or user_id = pool_user_id)
         and template_version is distinct from app_private.latest_template_version()
       order by pool_created_at
       limit how_many
       for update skip locked
    ), retired as (
      delete from app_public.campaigns c using stale where c.id = stale.id returning c.id
    )
    select count(*)::integer from retired
  $$;
comment on function app_private.retire_stale_pool_campaigns(app_public.pool_type, uuid, integer) is
  E'Deletes up to how_many pool campaigns of an older template version (oldest first, skipping any being handed over); returns how many.';

-- Adds one seeded campaign to a pool below its target, or returns null when the pool is full (or
-- pools are off). An advisory lock per pool serialises concurrent replenishers: each counts what
-- the previous one committed, so the pool never overshoots its target.
create or replace function app_private.add_pool_campaign(wanted_pool app_public.pool_type, pool_user_id uuid default null)
  returns uuid
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_owner uuid;
  v_campaign app_public.campaigns;
begin
  if wanted_pool = 'user' and pool_user_id is null then
    raise exception 'a user pool needs a user_id' using errcode = 'CE207';
  end if;
  perform pg_advisory_xact_lock(app_private.pool_lock_key(wanted_pool, pool_user_id));
  if not app_private.pools_enabled() then
    return null;
  end if;

  if wanted_pool = 'master' then
    if (select master_current from app_private.pool_sizes()) >= app_private.pool_target_size() then
      perform app_private.retire_stale_pool_campaigns('master', null, app_private.pool_target_max());
      return null;
    end if;
    select user_id into v_owner from app_private.master_template();
  else
    perform app_private.retire_stale_pool_campaigns('user', pool_user_id, 1);
    -- At most one user pool campaign per user.
    if exists (select 1 from app_public.campaigns where is_pool and pool_type = 'user' and user_id = pool_user_id)
       or not exists (select 1 from app_public.users where id = pool_user_id) then
      return null;
    end if;
    v_owner := pool_user_id;
  end if;

  insert into app_public.campaigns (user_id, name, is_pool, pool_type)
  values (v_owner, 'Pool campaign', true, wanted_pool)
  returning * into v_campaign;
  v_campaign := app_private.seed_campaign(v_campaign.id);
  if wanted_pool = 'master' then
    perform app_private.retire_stale_pool_campaigns('master', null, 1);
  end if;
  perform pg_notify('pool', json_build_object('event', 'pool_replenished', 'campaign_id', v_campaign.id,
                                              'pool_type', wanted_pool, 'seeding_ms', v_campaign.seeding_duration_ms)::text);
  return v_campaign.id;
end;
$$;
comment on function app_private.add_pool_campaign(app_public.pool_type, uuid) is
  E'Creates and seeds one pool campaign when the pool is below its target of current-version campaigns (master: pool_target_size; user: 1), retiring a stale one; null otherwise.';

-- While a replenish_pool job runs, its connection holds a session advisory lock (class 1885, key:
-- the pool), so dashboards count the pools being refilled right now exactly, without a table to
-- keep in step: a crashed worker's connection takes its lock with it.
create or replace function app_private.replenishing_lock_class() returns integer
  language sql immutable
  as $$ select 1885 $$;
comment on function app_private.replenishing_lock_class() is
  E'The first key of the advisory locks held by running replenish_pool jobs.';

create or replace function app_private.replenishing_lock_key(wanted_pool app_public.pool_type, pool_user_id uuid) returns integer
  language sql immutable
  as $$ select hashtext(wanted_pool || ':' || coalesce(pool_user_id::text, '')) $$;
comment on function app_private.replenishing_lock_key(app_public.pool_type, uuid) is
  E'The second key of the advisory lock a replenish_pool job holds: its pool.';

create or replace function app_private.pools_being_replenished() returns integer
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select count(*)::integer from pg_locks
     where locktype = 'advisory' and granted and objsubid = 2
       and database = (select oid from pg_database where datname = current_database())
       and classid = app_private.replenishing_lock_class()::oid;
  $$;
comment on function app_private.pools_being_replenished() is
  E'How many pools a replenish_pool job is refilling right now.';

create or replace function app_private.start_replenishing(wanted_pool app_public.pool_type, pool_user_id uuid default null) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  -- try: a second job for the same pool (its key was freed while the first ran) counts once.
  perform pg_try_advisory_lock(app_private.replenishing_lock_class(), app_private.replenishing_lock_key(wanted_pool, pool_user_id));
  perform pg_notify('pool', json_build_object('event', 'replenish_started', 'pool_type', wanted_pool)::text);
end;
$$;
comment on function app_private.start_replenishing(app_public.pool_type, uuid) is
  E'Marks a pool as being refilled by this connection (until finish_replenishing) and says so on the pool channel.';

create or replace function app_private.finish_replenishing(wanted_pool app_public.pool_type, pool_user_id uuid default null) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_key integer := app_private.replenishing_lock_key(wanted_pool, pool_user_id);
begin
  if exists (select 1 from pg_locks where pid = pg_backend_pid() and locktype = 'advisory' and objsubid = 2
                and classid = app_private.replenishing_lock_class()::oid and objid = v_key::oid) then
    perform pg_advisory_unlock(app_private.replenishing_lock_class(), v_key);
  end if;
  perform pg_notify('pool', json_build_object('event', 'replenish_finished', 'pool_type', wanted_pool)::text);
end;
$$;
comment on function app_private.finish_replenishing(app_public.pool_type, uuid) is
  E'Ends start_replenishing: the pool is no longer being refilled by this connection.';

-- A failing refill says why, at once: otherwise only pool_low follows, up to a minute later and
-- without the cause. The replenish_pool task records each outcome in a statement of its own,
-- after the failed work rolled back, so the alert is committed although the job fails (and is
-- retried by graphile-worker). The alert pool_refill_failing is open from a failure until a
-- refill succeeds: one that seeds a campaign (seeding works again), or one of the pool the alert
-- names that finds nothing missing (its target was met, lowered, or pools were switched off). A
-- refill of another pool that had nothing to do proves nothing and leaves the alert open.
create or replace function app_private.refill_failed(
  wanted_pool text, pool_user_id uuid, error_message text, error_code text, attempt integer, max_attempts integer
) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.raise_alert('WARNING', 'pool_refill_failing',
      format('Refilling the %s pool failed (attempt %s of %s): %s',
             coalesce(wanted_pool, 'unknown') || coalesce(' ' || pool_user_id, ''), attempt, max_attempts, error_message),
      jsonb_build_object('pool_type', wanted_pool, 'user_id', pool_user_id, 'error', error_message, 'code', error_code,
                         'attempt', attempt, 'max_attempts', max_attempts));
  $$;
comment on function app_private.refill_failed(text, uuid, text, text, integer, integer) is
  E'Raises (or refreshes, with the latest error) the WARNING alert pool_refill_failing for a replenish_pool job that failed.';

create or replace function app_private.refill_succeeded(wanted_pool app_public.pool_type, pool_user_id uuid, added integer) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if added > 0 or exists (
    select 1 from app_public.alerts
     where kind = 'pool_refill_failing' and resolved_at is null
       and details->>'pool_type' = wanted_pool::text
       and (details->>'user_id')::uuid is not distinct from pool_user_id
  ) then
    perform app_private.resolve_alert('pool_refill_failing');
  end if;
end;
$$;
comment on function app_private.refill_succeeded(app_public.pool_type, uuid, integer) is
  E'Resolves pool_refill_failing after a replenish_pool job that succeeded: when it seeded a campaign, or refilled the pool the alert names.';
