-- Firing a timer, as the fire_timer task does it, in two transactions on one connection:
--
--   1. start_timer_execution: PENDING → RUNNING, an execution row STARTED, and a session-level
--      advisory lock on the timer that the connection holds until the attempt ends. The lock is
--      how recovery tells a dead worker from a busy one: Postgres releases it when the worker's
--      connection goes away.
--   2. finish_timer_execution (a procedure): complete_timer_execution (the timer's effect,
--      RUNNING → COMPLETED, the execution COMPLETED; all or nothing), committed, then the lock
--      released. If it fails, fail_timer_execution records the failure and schedules a retry
--      with backoff, or marks the timer FAILED and raises an alert.
--
-- Effects are idempotent: a timer whose campaign is already where the timer would take it
-- completes without a transition, so a timer fired twice changes the campaign once.

create or replace function app_private.timer_lock_key(timer_id uuid) returns bigint
  language sql immutable parallel safe
  as $$ select ('x' || left(md5('campaign_timer:' || timer_id::text), 16))::bit(64)::bigint $$;
comment on function app_private.timer_lock_key(uuid) is
  E'The advisory lock a worker holds while it fires this timer.';

create or replace function app_private.start_timer_execution(fired_timer_id uuid, worker text) returns uuid
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_timer app_public.campaign_timers;
  v_execution_id uuid;
begin
  select * into v_timer from app_public.campaign_timers where id = fired_timer_id for update;
  if not found or v_timer.status not in ('PENDING', 'RUNNING') then
    return null; -- cancelled, already done, or deleted with its campaign
  end if;
  if v_timer.status = 'PENDING' and app_private.timer_due_at(v_timer.scheduled_at, v_timer.next_attempt_at) > clock_timestamp() + interval '1 second' then
    return null; -- a job left over from before a reschedule; the timer's own job fires it later
  end if;
  if not pg_try_advisory_lock(app_private.timer_lock_key(fired_timer_id)) then
    return null; -- another live worker is firing it right now
  end if;
  if v_timer.status = 'RUNNING' then
    -- Nobody holds its lock, so the worker that was firing it died mid-attempt.
    perform app_private.end_abandoned_executions(fired_timer_id);
  end if;
  update app_public.campaign_timers set status = 'RUNNING', locked_by = worker where id = fired_timer_id;
  insert into app_public.timer_executions (timer_id, campaign_id, worker_id)
  values (fired_timer_id, v_timer.campaign_id, worker)
  returning id into v_execution_id;
  return v_execution_id;
end;
$$;
comment on function app_private.start_timer_execution(uuid, text) is
  E'Claims a due timer for a worker (RUNNING, an execution STARTED, the timer''s advisory lock held by this session); null when there is nothing to fire.';

create or replace function app_private.end_abandoned_executions(abandoned_timer_id uuid) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    update app_public.timer_executions
       set status = 'FAILED', error_message = 'the worker stopped before finishing', completed_at = clock_timestamp(),
           execution_time_ms = round(extract(epoch from clock_timestamp() - started_at) * 1000, 3)
     where timer_id = abandoned_timer_id and status = 'STARTED'
  $$;
comment on function app_private.end_abandoned_executions(uuid) is
  E'Marks the attempts of a timer whose worker died as FAILED.';

-- What each timer type does. Returns what happened, for the execution's result.
create or replace function app_private.apply_timer_effect(timer app_public.campaign_timers) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns;
  v_cause jsonb := jsonb_build_object('timer_id', timer.id);
  v_event text := 'timer:' || timer.timer_type;
begin
  select * into v_campaign from app_public.campaigns where id = timer.campaign_id for update;
  case timer.timer_type
    when 'START_CAMPAIGN' then
      if v_campaign.status <> 'CREATED' then
        return jsonb_build_object('changed', false, 'status', v_campaign.status);
      end if;
      perform app_private.transition_campaign(v_campaign.id, 'RUNNING', v_event, v_cause);
      return jsonb_build_object('changed', true, 'from', v_campaign.status, 'to', 'RUNNING');
    when 'CLOSE_CAMPAIGN' then
      if v_campaign.status = 'CREATED' then
        raise exception 'campaign % has not started yet, so it cannot close', v_campaign.id using errcode = 'CE001';
      elsif v_campaign.status <> 'RUNNING' then
        return jsonb_build_object('changed', false, 'status', v_campaign.status);
      end if;
      perform app_private.transition_campaign(v_campaign.id, 'CLOSED', v_event, v_cause);
      -- A scheduled close opens the reward claims at once when the campaign has rewards.
      if v_campaign.rewards_enabled then
        perform app_private.transition_campaign(v_campaign.id, 'REWARD_CLAIM', v_event, v_cause);
        return jsonb_build_object('changed', true, 'from', v_campaign.status, 'to', 'REWARD_CLAIM');
      end if;
      return jsonb_build_object('changed', true, 'from', v_campaign.status, 'to', 'CLOSED');
    when 'EXPIRE_CAMPAIGN' then
      if v_campaign.status = 'EXPIRED' then
        return jsonb_build_object('changed', false, 'status', v_campaign.status);
      end if;
      perform app_private.transition_campaign(v_campaign.id, 'EXPIRED', v_event, v_cause);
      return jsonb_build_object('changed', true, 'from', v_campaign.status, 'to', 'EXPIRED');
    when 'REWARD_REMINDER' then
      if v_campaign.status <> 'REWARD_CLAIM' then
        return jsonb_build_object('reminded', false, 'status', v_campaign.status);
      end if;
      perform app_private.notify_campaign_event(v_campaign.id, v_campaign.marketer_id, 'reward_reminder');
      return jsonb_build_object('reminded', true);
  end case;
end;
$$;
comment on function app_private.apply_timer_effect(app_public.campaign_timers) is
  E'Does what the timer is for (start, close, expire, remind), idempotently.';

create or replace function app_private.complete_timer_execution(execution_id uuid) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_execution app_public.timer_executions;
  v_timer app_public.campaign_timers;
  v_result jsonb;
  v_ms numeric;
begin
  select * into v_execution from app_public.timer_executions where id = execution_id;
  select * into v_timer from app_public.campaign_timers where id = v_execution.timer_id for update;
  v_result := app_private.apply_timer_effect(v_timer);
  v_ms := round(extract(epoch from clock_timestamp() - v_execution.started_at) * 1000, 3);

  update app_public.campaign_timers
     set status = 'COMPLETED', executed_at = clock_timestamp(), locked_by = null, next_attempt_at = null
   where id = v_timer.id;
  update app_public.timer_executions
     set status = 'COMPLETED', result = v_result, completed_at = clock_timestamp(), execution_time_ms = v_ms
   where id = execution_id;
  insert into app_public.campaign_metrics (campaign_id, metric_type, value, details)
  values (v_timer.campaign_id, 'TIMER_EXECUTION_TIME', v_ms, jsonb_build_object('timer_type', v_timer.timer_type));
  return v_result;
end;
$$;
comment on function app_private.complete_timer_execution(uuid) is
  E'Applies the timer''s effect and records the attempt as COMPLETED.';

-- A procedure, so that the commit comes before the unlock: unlocked first, another worker could
-- claim the timer before its COMPLETED is visible. Postgres refuses transaction control in a
-- routine with a SET clause, so this one has none and qualifies every name.
create or replace procedure app_private.finish_timer_execution(execution_id uuid, fired_timer_id uuid)
  language plpgsql
  as $$
begin
  perform app_private.complete_timer_execution(execution_id);
  commit;
  perform pg_catalog.pg_advisory_unlock(app_private.timer_lock_key(fired_timer_id));
end;
$$;
comment on procedure app_private.finish_timer_execution(uuid, uuid) is
  E'Step 2 of firing a timer: complete_timer_execution, committed, then the timer''s advisory lock released. CALL it outside a transaction.';

create or replace function app_private.fail_timer_execution(execution_id uuid, error text) returns app_public.timer_status
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_execution app_public.timer_executions;
  v_timer app_public.campaign_timers;
  v_base_seconds numeric := app_private.setting('timer_retry_base_seconds', '2')::numeric;
begin
  update app_public.timer_executions
     set status = 'FAILED', error_message = error, completed_at = clock_timestamp(),
         execution_time_ms = round(extract(epoch from clock_timestamp() - started_at) * 1000, 3)
   where id = execution_id
  returning * into v_execution;
  select * into v_timer from app_public.campaign_timers where id = v_execution.timer_id for update;

  if v_timer.retry_count < 5 then
    -- Exponential backoff: base, 2×base, 4×base, ... (2 s, 4 s, 8 s, 16 s, 32 s by default).
    update app_public.campaign_timers
       set status = 'PENDING', locked_by = null, last_error = error, retry_count = retry_count + 1,
           next_attempt_at = now() + v_base_seconds * power(2, retry_count) * interval '1 second'
     where id = v_timer.id;
    return 'PENDING';
  end if;

  update app_public.campaign_timers set status = 'FAILED', locked_by = null, last_error = error where id = v_timer.id;
  perform app_private.raise_alert(
    'CRITICAL', 'timer_failed',
    format('%s timer(s) failed after 5 retries; latest: %s of campaign %s: %s',
           (select count(*) from app_public.campaign_timers where status = 'FAILED'),
           v_timer.timer_type, v_timer.campaign_id, error),
    jsonb_build_object('timer_id', v_timer.id, 'campaign_id', v_timer.campaign_id,
                       'timer_type', v_timer.timer_type, 'error', error)
  );
  return 'FAILED';
end;
$$;
comment on function app_private.fail_timer_execution(uuid, text) is
  E'Records a failed attempt; retries with backoff up to 5 times, then marks the timer FAILED and raises a timer_failed alert.';
