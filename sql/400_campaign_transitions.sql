-- The campaign state machine:
--
--   CREATED → RUNNING → CLOSED → REWARD_CLAIM → EXPIRED
--   CREATED → EXPIRED, RUNNING → EXPIRED, CLOSED → EXPIRED
--
-- A trigger refuses every other change of status (CE001), and CLOSED → REWARD_CLAIM when the
-- campaign has rewards disabled (CE002). Another trigger logs every change to campaign_state_log
-- with what caused it, which app_private.transition_campaign passes in a transaction-local setting.

create or replace function app_private.allowed_next_states(from_state app_public.campaign_status)
  returns app_public.campaign_status[]
  language sql immutable parallel safe
  as $$
    select case from_state
      when 'CREATED' then '{RUNNING,EXPIRED}'
      when 'RUNNING' then '{CLOSED,EXPIRED}'
      when 'CLOSED' then '{REWARD_CLAIM,EXPIRED}'
      when 'REWARD_CLAIM' then '{EXPIRED}'
      else '{}'
    end::app_public.campaign_status[]
  $$;
comment on function app_private.allowed_next_states(app_public.campaign_status) is
  E'The states a campaign may move to from from_state.';

create or replace function app_private.tg_campaigns__enforce_transition() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not NEW.status = any(app_private.allowed_next_states(OLD.status)) then
    raise exception 'campaign % cannot go from % to %', NEW.id, OLD.status, NEW.status
      using errcode = 'CE001',
            hint = format('From %s a campaign may go to: %s.', OLD.status,
                          coalesce(nullif(array_to_string(app_private.allowed_next_states(OLD.status), ', '), ''), 'nothing (it is final)'));
  end if;
  if NEW.status = 'REWARD_CLAIM' and not NEW.rewards_enabled then
    raise exception 'campaign % has rewards disabled, so it cannot open reward claims', NEW.id
      using errcode = 'CE002', hint = 'Schedule the campaign with rewards_enabled.';
  end if;
  return NEW;
end;
$$;
comment on function app_private.tg_campaigns__enforce_transition() is
  E'Trigger function: refuses a status change the state machine does not allow.';

create or replace trigger _200_enforce_transition before update of status on app_public.campaigns
  for each row when (OLD.status is distinct from NEW.status)
  execute function app_private.tg_campaigns__enforce_transition();

create or replace function app_private.tg_campaigns__log_transition() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_cause jsonb := coalesce(nullif(current_setting('campaign_engine.transition', true), ''), '{}')::jsonb;
  v_entered_from_state timestamptz;
  v_ms_in_from_state numeric;
begin
  select coalesce(max(created_at), OLD.created_at) into v_entered_from_state
  from app_public.campaign_state_log where campaign_id = NEW.id;
  v_ms_in_from_state := round(extract(epoch from (clock_timestamp() - v_entered_from_state)) * 1000, 3);

  -- clock_timestamp, not now(): two transitions in one transaction (close, then open reward
  -- claims) keep their order.
  insert into app_public.campaign_state_log (campaign_id, from_state, to_state, trigger_event, metadata, created_at)
  values (
    NEW.id, OLD.status, NEW.status,
    -- A status changed without the lifecycle functions (an operator in psql) still says who did it.
    coalesce(v_cause ->> 'event', 'direct_update'),
    coalesce(v_cause -> 'metadata', jsonb_build_object('database_user', current_user))
      || jsonb_build_object('ms_in_from_state', v_ms_in_from_state),
    clock_timestamp()
  );
  insert into app_public.campaign_metrics (campaign_id, metric_type, value, details)
  values (NEW.id, 'STATE_TRANSITION_TIME', v_ms_in_from_state,
          jsonb_build_object('from_state', OLD.status, 'to_state', NEW.status));
  return null;
end;
$$;
comment on function app_private.tg_campaigns__log_transition() is
  E'Trigger function: writes a status change to campaign_state_log and how long the campaign spent in the previous state to campaign_metrics.';

create or replace trigger _500_log_transition after update of status on app_public.campaigns
  for each row when (OLD.status is distinct from NEW.status)
  execute function app_private.tg_campaigns__log_transition();

-- The one way the lifecycle changes a status: records the cause for the log and is idempotent
-- (moving a campaign to the state it is in changes nothing and returns false).
create or replace function app_private.transition_campaign(
  target_campaign_id uuid, to_state app_public.campaign_status, trigger_event text, cause jsonb
) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_from app_public.campaign_status;
begin
  select status into v_from from app_public.campaigns where id = target_campaign_id for update;
  if not found then
    raise exception 'campaign % does not exist', target_campaign_id using errcode = 'CE003';
  end if;
  if v_from = to_state then
    return false;
  end if;
  perform set_config('campaign_engine.transition',
                     jsonb_build_object('event', trigger_event, 'metadata', cause)::text, true);
  update app_public.campaigns set status = to_state where id = target_campaign_id;
  perform set_config('campaign_engine.transition', '', true);
  return true;
end;
$$;
comment on function app_private.transition_campaign(uuid, app_public.campaign_status, text, jsonb) is
  E'Moves a campaign to to_state (if it is not there already), logging trigger_event and cause.';
