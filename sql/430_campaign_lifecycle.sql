-- The lifecycle API: schedule a campaign, and move it by hand. Scheduling creates its timers
-- (START at start_time, CLOSE at end_time when auto_close); rescheduling moves them. Each state
-- then arranges the timers that follow it, whoever moved the campaign there (a person or a timer):
--   RUNNING      → the START timer is no longer needed;
--   CLOSED       → EXPIRE after reward_claim_hours;
--   REWARD_CLAIM → a REWARD_REMINDER halfway through the claim window;
--   EXPIRED      → every other timer is cancelled.

create or replace function app_private.tg_campaigns__arrange_timers() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_claim_window interval := NEW.reward_claim_hours * interval '1 hour';
begin
  case NEW.status
    when 'RUNNING' then
      perform app_private.cancel_timers(NEW.id, array['START_CAMPAIGN']::app_public.timer_type[]);
    when 'CLOSED' then
      perform app_private.cancel_timers(NEW.id, array['START_CAMPAIGN', 'CLOSE_CAMPAIGN']::app_public.timer_type[]);
      perform app_private.set_timer(NEW.id, 'EXPIRE_CAMPAIGN', now() + v_claim_window);
    when 'REWARD_CLAIM' then
      perform app_private.set_timer(NEW.id, 'REWARD_REMINDER', now() + v_claim_window / 2);
    when 'EXPIRED' then
      perform app_private.cancel_timers(NEW.id, enum_range(null::app_public.timer_type));
    else
  end case;
  return null;
end;
$$;
comment on function app_private.tg_campaigns__arrange_timers() is
  E'Trigger function: schedules or cancels the timers that follow the campaign''s new state.';

create or replace trigger _600_arrange_timers after update of status on app_public.campaigns
  for each row when (OLD.status is distinct from NEW.status)
  execute function app_private.tg_campaigns__arrange_timers();

-- Who may run the lifecycle of a campaign: its owner or an admin. Raises CE003 otherwise, without
-- telling whether the campaign exists.
create or replace function app_private.assert_may_edit_campaign(target_campaign_id uuid) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_private.current_user_may_edit_campaign(target_campaign_id) then
    raise exception 'campaign % does not exist or is not yours to change', target_campaign_id using errcode = 'CE003';
  end if;
end;
$$;
comment on function app_private.assert_may_edit_campaign(uuid) is
  E'Raises CE003 unless the signed-in user owns the campaign or is an admin.';

create or replace function app_private.person_cause() returns jsonb
  language sql stable
  as $$ select jsonb_build_object('user_id', app_public.current_user_id()) $$;
comment on function app_private.person_cause() is
  E'Who changed a campaign through the API, for the state log.';

-- security definer (this and the functions below): status, times and timers are not the
-- visitor's to write directly; these functions check ownership (assert_may_edit_campaign) first.
create or replace function app_public.schedule_campaign(
  campaign_id uuid,
  start_time timestamptz,
  duration_hours numeric,
  auto_close boolean default true,
  rewards_enabled boolean default false,
  reward_claim_hours numeric default 72
) returns app_public.campaigns
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns;
begin
  perform app_private.assert_may_edit_campaign(campaign_id);
  if start_time is null then
    raise exception 'start_time is required' using errcode = 'CE005';
  end if;
  if duration_hours is null or duration_hours <= 0 then
    raise exception 'duration_hours must be greater than 0 (got %)', coalesce(duration_hours::text, 'null')
      using errcode = 'CE005';
  end if;
  if reward_claim_hours is null or reward_claim_hours <= 0 then
    raise exception 'reward_claim_hours must be greater than 0 (got %)', coalesce(reward_claim_hours::text, 'null')
      using errcode = 'CE005';
  end if;
  select * into v_campaign from app_public.campaigns c where c.id = schedule_campaign.campaign_id for update;
  if v_campaign.status <> 'CREATED' then
    raise exception 'campaign % is %; only a CREATED campaign can be scheduled', v_campaign.id, v_campaign.status
      using errcode = 'CE004';
  end if;

  update app_public.campaigns c
     set start_time = schedule_campaign.start_time,
         duration_hours = schedule_campaign.duration_hours,
         end_time = schedule_campaign.start_time + schedule_campaign.duration_hours * interval '1 hour',
         auto_close = coalesce(schedule_campaign.auto_close, true),
         rewards_enabled = coalesce(schedule_campaign.rewards_enabled, false),
         reward_claim_hours = schedule_campaign.reward_claim_hours
   where c.id = v_campaign.id
  returning * into v_campaign;

  perform app_private.set_timer(v_campaign.id, 'START_CAMPAIGN', v_campaign.start_time);
  if v_campaign.auto_close then
    perform app_private.set_timer(v_campaign.id, 'CLOSE_CAMPAIGN', v_campaign.end_time);
  else
    perform app_private.cancel_timers(v_campaign.id, array['CLOSE_CAMPAIGN']::app_public.timer_type[]);
  end if;
  return v_campaign;
end;
$$;
comment on function app_public.schedule_campaign(uuid, timestamptz, numeric, boolean, boolean, numeric) is
  E'Schedules a CREATED campaign: it starts at start_time and, with auto_close, closes duration_hours later (then, with rewards_enabled, opens reward claims for reward_claim_hours before it expires). Calling it again moves the timers.';

create or replace function app_private.move_campaign(
  target_campaign_id uuid, to_state app_public.campaign_status, trigger_event text
) returns app_public.campaigns
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns;
begin
  perform app_private.assert_may_edit_campaign(target_campaign_id);
  perform app_private.transition_campaign(target_campaign_id, to_state, trigger_event, app_private.person_cause());
  select * into v_campaign from app_public.campaigns where id = target_campaign_id;
  return v_campaign;
end;
$$;
comment on function app_private.move_campaign(uuid, app_public.campaign_status, text) is
  E'A person moves a campaign to to_state: checks they may, then transitions and logs trigger_event.';

create or replace function app_public.start_campaign(campaign_id uuid) returns app_public.campaigns
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.move_campaign(campaign_id, 'RUNNING', 'start_campaign') $$;
comment on function app_public.start_campaign(uuid) is
  E'Starts a CREATED campaign now (RUNNING), ahead of its START timer.';

create or replace function app_public.close_campaign(campaign_id uuid) returns app_public.campaigns
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.move_campaign(campaign_id, 'CLOSED', 'close_campaign') $$;
comment on function app_public.close_campaign(uuid) is
  E'Closes a RUNNING campaign now; it expires after its reward claim window.';

create or replace function app_public.open_reward_claim(campaign_id uuid) returns app_public.campaigns
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.move_campaign(campaign_id, 'REWARD_CLAIM', 'open_reward_claim') $$;
comment on function app_public.open_reward_claim(uuid) is
  E'Opens reward claims on a CLOSED campaign that has rewards enabled.';

create or replace function app_public.expire_campaign(campaign_id uuid) returns app_public.campaigns
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.move_campaign(campaign_id, 'EXPIRED', 'expire_campaign') $$;
comment on function app_public.expire_campaign(uuid) is
  E'Expires a campaign now (from any state but EXPIRED) and cancels its timers.';
