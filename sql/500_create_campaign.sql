-- Creating a campaign: the one way a campaign comes into being for a user. It hands over a campaign
-- seeded ahead of time (the caller's own pool first, then the master pool) and, when none is ready
-- or pools are switched off, seeds one inline in the same transaction. Either way the caller gets a
-- complete campaign at once and replenishment is enqueued for later.

-- @behavior -insert: create_campaign owns the name createCampaign.
comment on table app_public.campaigns is
  E'@behavior -insert\nA campaign. Its owner, the members of its marketer and admins see it. Create one with createCampaign.';

create or replace function app_private.assert_valid_campaign_input(name text, description text, marketer_id uuid) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_problem text := app_private.campaign_text_problem(name, description);
begin
  if v_problem is not null then
    raise exception '%', v_problem using errcode = 'CE202';
  end if;
  if marketer_id is not null and marketer_id not in (select app_private.current_user_marketer_ids()) then
    raise exception 'you are not a member of marketer %', marketer_id using errcode = 'CE203';
  end if;
end;
$$;
comment on function app_private.assert_valid_campaign_input(text, text, uuid) is
  E'Raises CE202 for a blank or over-long name or an over-long description, CE203 for a marketer the user is not a member of.';

-- The table's constraint (campaigns_name_and_description_within_limits) holds the limits on every
-- path; this trigger only says which one a change breaks, with the same code as a creation.
-- security definer: it fires for visitors renaming their campaign, who may not reach app_private.
create or replace function app_private.tg_campaigns__text_within_limits() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_problem text := app_private.campaign_text_problem(NEW.name, NEW.description);
begin
  if v_problem is not null then
    raise exception '%', v_problem using errcode = 'CE202';
  end if;
  return NEW;
end;
$$;
comment on function app_private.tg_campaigns__text_within_limits() is
  E'Trigger function: refuses (CE202) a blank or over-long name or an over-long description, saying which.';
create or replace trigger _150_text_within_limits before insert or update of name, description on app_public.campaigns
  for each row execute function app_private.tg_campaigns__text_within_limits();

-- Serialised per user (an advisory lock), so concurrent requests cannot both take the last slot.
create or replace function app_private.assert_within_rate_limit(creator_id uuid) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_limit integer := app_private.setting('campaign_rate_limit', '20')::integer;
  v_count integer;
  v_oldest timestamptz;
begin
  perform pg_advisory_xact_lock(hashtextextended('create_campaign:' || creator_id, 0));
  select count(*), min(assigned_at) into v_count, v_oldest
    from app_public.pool_assignments
   where user_id = creator_id and assigned_at > now() - interval '1 hour';
  if v_count >= v_limit then
    raise exception 'you may create at most % campaigns an hour; try again after %', v_limit,
                    to_char((v_oldest + interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      using errcode = 'CE204', hint = 'The limit is CAMPAIGN_RATE_LIMIT.';
  end if;
end;
$$;
comment on function app_private.assert_within_rate_limit(uuid) is
  E'Raises CE204 when the user already created campaign_rate_limit campaigns in the last hour.';

-- The next ready pool campaign for this user, locked: their own, else the oldest of the master
-- pool. SKIP LOCKED: concurrent callers each get a different one.
create or replace function app_private.claim_pool_campaign(creator_id uuid) returns app_public.campaigns
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns;
begin
  select * into v_campaign from app_public.campaigns
   where is_pool and pool_type = 'user' and user_id = creator_id
   limit 1 for update skip locked;
  if not found then
    -- One of the current template version first, while a rolling refresh replaces the others.
    select * into v_campaign from app_public.campaigns
     where is_pool and pool_type = 'master'
     order by template_version is not distinct from app_private.latest_template_version() desc, pool_created_at
     limit 1 for update skip locked;
  end if;
  return v_campaign;
end;
$$;
comment on function app_private.claim_pool_campaign(uuid) is
  E'Locks and returns the campaign create_campaign hands over: the user''s own pool campaign, else the oldest master pool one (of the current template version, if any); null when none is ready.';

-- A hand-over writes the campaign row alone: its created_at follows its activation
-- (sql/110_timestamps.sql), its content shows the activation where it is older
-- (sql/112_content_shown_times.sql). What restamped every content row once is gone.
drop function if exists app_private.restamp_campaign(uuid);
drop function if exists app_private.is_restamping();

-- Replenishment is background work that must not slow creations down:
--   * it waits pool_replenish_delay_seconds (default 5), so a burst of creations is served first
--     and then refilled by one job (job key, preserve_run_at);
--   * a creation that finds that job already waiting, or being enqueued by a concurrent creation,
--     leaves it alone: updating its row in every creation would make concurrent creations queue
--     for that one row until each commits;
--   * the master pool (priority 0) is refilled before users' own pools (priority 10). (Not a
--     named queue to keep seeding serial: graphile-worker then waits for its next poll between
--     two jobs of the queue, and a backlog of user pools drains at one job per poll.)
create or replace function app_private.enqueue_pool_refill(
  wanted_pool app_public.pool_type, pool_user_id uuid default null, refill_now boolean default false
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_key text := 'replenish_pool:' || wanted_pool || coalesce(':' || pool_user_id, '');
begin
  if not refill_now then
    if exists (select 1 from graphile_worker.jobs where key = v_key and locked_at is null and attempts < max_attempts) then
      return;
    end if;
    -- A concurrent creation is enqueuing this very job and will commit it. (Were it to roll back,
    -- the pool monitor refills within a minute.) Waiting for it would serialize a burst.
    if not pg_try_advisory_xact_lock(hashtextextended(v_key, 0)) then
      return;
    end if;
  end if;
  perform app_private.add_job('replenish_pool',
    json_strip_nulls(json_build_object('pool_type', wanted_pool, 'user_id', pool_user_id)),
    run_at => case when refill_now then now()
                   else now() + app_private.setting('pool_replenish_delay_seconds', '5')::numeric * interval '1 second' end,
    job_key => v_key, job_key_mode => case when refill_now then 'replace' else 'preserve_run_at' end,
    priority => case when wanted_pool = 'master' then 0 else 10 end);
end;
$$;
comment on function app_private.enqueue_pool_refill(app_public.pool_type, uuid, boolean) is
  E'Enqueues replenish_pool for one pool after pool_replenish_delay_seconds, unless a job for it is already waiting; with refill_now, at once.';

create or replace function app_private.enqueue_replenishment(source app_public.campaign_source, creator_id uuid) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if source in ('master', 'inline') then
    perform app_private.enqueue_pool_refill('master');
  end if;
  if creator_id is not null then
    perform app_private.enqueue_pool_refill('user', creator_id);
  end if;
end;
$$;
comment on function app_private.enqueue_replenishment(app_public.campaign_source, uuid) is
  E'Enqueues refilling the pools a creation drew on: the master pool (unless it came from the user''s pool) and the user''s own pool.';

-- security definer: the caller takes over a campaign owned by someone else (the master owner) and
-- still invisible to them, and seeding writes content under the owner's rights.
create or replace function app_public.create_campaign(name text, description text default '', marketer_id uuid default null)
  returns app_public.campaigns
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_started timestamptz := clock_timestamp();
  v_creator uuid := app_public.current_user_id();
  v_campaign app_public.campaigns;
  v_source app_public.campaign_source;
  v_ms numeric;
begin
  if v_creator is null then
    raise exception 'sign in to create a campaign' using errcode = 'CE201',
      hint = 'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.';
  end if;
  description := coalesce(description, '');
  perform app_private.assert_valid_campaign_input(name, description, marketer_id);
  perform app_private.assert_within_rate_limit(v_creator);

  if app_private.pools_enabled() then
    v_campaign := app_private.claim_pool_campaign(v_creator);
  end if;

  if v_campaign.id is not null then
    v_source := v_campaign.pool_type::text::app_public.campaign_source;
    update app_public.campaigns c
       set name = create_campaign.name, description = create_campaign.description,
           user_id = v_creator, marketer_id = create_campaign.marketer_id, is_pool = false, activated_at = now()
     where c.id = v_campaign.id
    returning * into v_campaign;
  else
    v_source := 'inline';
    insert into app_public.campaigns (user_id, marketer_id, name, description, activated_at)
    values (v_creator, create_campaign.marketer_id, create_campaign.name, create_campaign.description, now())
    returning * into v_campaign;
    v_campaign := app_private.seed_campaign(v_campaign.id);
  end if;

  perform app_private.enqueue_replenishment(v_source, v_creator);
  -- The audit row comes last, so its time covers all of the above (all but the commit).
  v_ms := round((extract(epoch from clock_timestamp() - v_started) * 1000)::numeric, 3);
  insert into app_public.pool_assignments (campaign_id, user_id, source, pool_created_at, pool_age, assignment_ms)
  values (v_campaign.id, v_creator, v_source, v_campaign.pool_created_at, now() - v_campaign.pool_created_at, v_ms);
  perform pg_notify('pool', json_build_object(
    'event', case when v_source = 'inline' then 'inline_created' else 'pool_assigned' end,
    'campaign_id', v_campaign.id, 'source', v_source, 'assignment_ms', v_ms)::text);
  return v_campaign;
end;
$$;
comment on function app_public.create_campaign(text, text, uuid) is
  E'Creates a campaign for the signed-in user, complete with the master template''s content, at once: from their own pool, else the master pool, else seeded inline. At most campaign_rate_limit an hour (CE204).';
