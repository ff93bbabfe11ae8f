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

create or replace function app_private.person_cause() returns jsonb
  language sql stable
  as $$ select jsonb_build_object('user_id', app_public.current_user_id()) $$;
comment on function app_private.person_cause() is
  E'Who changed a campaign through the API, for the state log.';

-- The bounds of a schedule are run-time settings (app_private.settings, as written, e.g. "1 year"):
-- a campaign runs from campaign_duration_min to campaign_duration_max, reward claims stay open
-- from reward_claim_min to reward_claim_max, and a campaign starts at most campaign_start_max_ahead
-- from now. (The table itself caps both durations at ten years.)
create or replace function app_private.lifecycle_bound(setting_name text, default_value text) returns text
  language sql stable
  as $$ select app_private.setting(setting_name, to_jsonb(default_value)) #>> '{}' $$;
comment on function app_private.lifecycle_bound(text, text) is
  E'A bound of scheduling (an interval, as written in app_private.settings), or default_value.';

-- Compared in seconds, as numbers: an hour count too large for an interval is refused, not an error.
create or replace function app_private.assert_hours_within(parameter text, hours numeric, min_text text, max_text text) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_min numeric := extract(epoch from min_text::interval);
  v_max numeric := extract(epoch from max_text::interval);
begin
  if hours is null or hours * 3600 < v_min or hours * 3600 > v_max then
    raise exception '% must be between % and % (got % hours)', parameter, min_text, max_text, coalesce(hours::text, 'null')
      using errcode = 'CE005',
            hint = format('In hours: from %s to %s.', trim_scale(round(v_min / 3600, 4)), trim_scale(round(v_max / 3600, 4)));
  end if;
end;
$$;
comment on function app_private.assert_hours_within(text, numeric, text, text) is
  E'Raises CE005, naming the parameter and its value, unless hours lies between the two intervals.';

create or replace function app_private.assert_valid_schedule(start_time timestamptz, duration_hours numeric, reward_claim_hours numeric)
  returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_max_ahead text := app_private.lifecycle_bound('campaign_start_max_ahead', '5 years');
begin
  if start_time is null then
    raise exception 'start_time is required' using errcode = 'CE005';
  end if;
  if start_time < now() - interval '1 minute' then
    raise exception 'start_time % is more than a minute in the past', start_time
      using errcode = 'CE010', hint = 'Schedule it for now or later.';
  end if;
  if start_time > now() + v_max_ahead::interval then
    raise exception 'start_time must be at most % ahead (got %)', v_max_ahead, start_time using errcode = 'CE005';
  end if;
  perform app_private.assert_hours_within('duration_hours', duration_hours,
    app_private.lifecycle_bound('campaign_duration_min', '1 minute'), app_private.lifecycle_bound('campaign_duration_max', '1 year'));
  perform app_private.assert_hours_within('reward_claim_hours', reward_claim_hours,
    app_private.lifecycle_bound('reward_claim_min', '1 minute'), app_private.lifecycle_bound('reward_claim_max', '1 year'));
end;
$$;
comment on function app_private.assert_valid_schedule(timestamptz, numeric, numeric) is
  E'Raises CE005 (naming the parameter and the value) for a schedule out of bounds, CE010 for a start in the past.';

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
  perform app_private.assert_valid_schedule(start_time, duration_hours, reward_claim_hours);
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
