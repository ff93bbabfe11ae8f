-- Timers: campaign_timers rows are the truth about scheduled lifecycle work. Each PENDING timer has
-- one graphile-worker job, keyed by the timer's id, due at the later of scheduled_at and
-- next_attempt_at (a retry's backoff). The triggers below are the only place those jobs are
-- added or removed, so a timer and its job change in the same transaction:
--   * a timer becomes PENDING, or a PENDING timer's due time moves → its job is added or moved
--     (the job key makes a reschedule replace the job, never duplicate it);
--   * a timer is cancelled → its job is removed.
-- Firing (app_private.start_timer_execution / complete_timer_execution) is in 420_fire_timer.sql.

-- The one definition of a timer's due time, for SQL and the worker's timer alarm alike. One
-- expression, immutable, no `set` clause, so the planner inlines it: a query on it is a query on
-- greatest(scheduled_at, next_attempt_at), which campaign_timers_pending_due_idx (000003) indexes.
create or replace function app_private.timer_due_at(scheduled_at timestamptz, next_attempt_at timestamptz)
  returns timestamptz
  language sql immutable parallel safe
  as $$ select greatest(scheduled_at, next_attempt_at) $$;
comment on function app_private.timer_due_at(timestamptz, timestamptz) is
  E'When a timer is due: its scheduled time, or its retry''s backoff when that is later.';

-- Overdue as people are shown it (overdue_timers, ops.stuck_timers, the admin dashboard): due more
-- than a minute ago. A minute leaves room for polling and a busy queue, so a listed timer means
-- something is wrong. Crash recovery uses its own, shorter lateness (app_private.timer_may_be_stranded
-- in 440_recover_timers.sql), because it also checks the timer's job before it acts. Inlinable like
-- timer_due_at.
create or replace function app_private.timer_is_overdue(due_at timestamptz) returns boolean
  language sql stable parallel safe
  as $$ select due_at < now() - interval '1 minute' $$;
comment on function app_private.timer_is_overdue(timestamptz) is
  E'Whether a timer due at due_at is overdue as admins and operators are shown it: due more than a minute ago.';

create or replace function app_private.tg_campaign_timers__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if TG_OP = 'INSERT' and exists (select 1 from app_public.campaigns where id = NEW.campaign_id and status = 'EXPIRED') then
    raise exception 'campaign % is expired; it takes no new timers', NEW.campaign_id using errcode = 'CE011';
  end if;
  if NEW.scheduled_at < now() - interval '1 minute' then
    raise exception 'timer % is scheduled at %, more than a minute in the past', NEW.timer_type, NEW.scheduled_at
      using errcode = 'CE010', hint = 'Schedule it for now or later.';
  end if;
  return NEW;
end;
$$;
comment on function app_private.tg_campaign_timers__validate() is
  E'Trigger function: refuses timers for expired campaigns and timers due more than a minute ago.';

create or replace trigger _200_validate before insert or update of scheduled_at on app_public.campaign_timers
  for each row execute function app_private.tg_campaign_timers__validate();

-- security definer: timers are scheduled by visitors (scheduleCampaign), who cannot reach
-- graphile_worker; the job carries only the timer id. The `timers` notification tells the
-- workers' timer alarm (src/timers/alarm.ts) to re-read the schedule.
create or replace function app_private.enqueue_timer_jobs(timer_ids uuid[]) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_first_due_at timestamptz;
begin
  if cardinality(timer_ids) = 0 then
    return;
  end if;
  perform graphile_worker.add_jobs(array(
    select row(
      'fire_timer', json_build_object('timer_id', t.id), null,
      app_private.timer_due_at(t.scheduled_at, t.next_attempt_at), null, t.id::text, null, null
    )::graphile_worker.job_spec
    from app_public.campaign_timers t
    where t.id = any(timer_ids) and t.status = 'PENDING'
  ));
  select min(app_private.timer_due_at(scheduled_at, next_attempt_at)) into v_first_due_at
  from app_public.campaign_timers where id = any(timer_ids);
  perform pg_notify('timers', json_build_object('event', 'timers_scheduled', 'first_due_at', v_first_due_at)::text);
end;
$$;
comment on function app_private.enqueue_timer_jobs(uuid[]) is
  E'Adds (or moves) the graphile-worker job of each PENDING timer, keyed by the timer id.';

-- security definer: see enqueue_timer_jobs.
create or replace function app_private.remove_timer_jobs(timer_ids uuid[]) returns void
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select count(graphile_worker.remove_job(id::text)) from unnest(timer_ids) as id $$;
comment on function app_private.remove_timer_jobs(uuid[]) is
  E'Removes the graphile-worker jobs of timers that will not fire.';

revoke execute on function app_private.enqueue_timer_jobs(uuid[]) from public;
revoke execute on function app_private.remove_timer_jobs(uuid[]) from public;

create or replace function app_private.tg_campaign_timers__jobs_after_insert() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.enqueue_timer_jobs(array(select id from new_timers where status = 'PENDING'));
  return null;
end;
$$;
comment on function app_private.tg_campaign_timers__jobs_after_insert() is
  E'Trigger function: gives each new PENDING timer its job.';

create or replace function app_private.tg_campaign_timers__jobs_after_update() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.enqueue_timer_jobs(array(
    select n.id from new_timers n join old_timers o using (id)
    where n.status = 'PENDING'
      and (o.status <> 'PENDING' or n.scheduled_at <> o.scheduled_at
           or n.next_attempt_at is distinct from o.next_attempt_at)
  ));
  perform app_private.remove_timer_jobs(array(
    select n.id from new_timers n join old_timers o using (id)
    where n.status = 'CANCELLED' and o.status <> 'CANCELLED'
  ));
  return null;
end;
$$;
comment on function app_private.tg_campaign_timers__jobs_after_update() is
  E'Trigger function: moves the job of a rescheduled or retried timer, removes that of a cancelled one.';

create or replace trigger _500_jobs_after_insert after insert on app_public.campaign_timers
  referencing new table as new_timers
  for each statement execute function app_private.tg_campaign_timers__jobs_after_insert();
create or replace trigger _500_jobs_after_update after update on app_public.campaign_timers
  referencing new table as new_timers old table as old_timers
  for each statement execute function app_private.tg_campaign_timers__jobs_after_update();

-- Every timer change is a change of its campaign for live pages: one campaign_updated per campaign
-- and statement (and Postgres folds it with the campaign's own notification in one transaction);
-- and one timers_changed on `timers` for the admin dashboard's timer counts (the timer alarm
-- ignores it: it re-reads the schedule on timers_scheduled).
create or replace function app_private.tg_campaign_timers__notify_campaigns() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.notify_campaign_event(c.id, c.marketer_id, 'campaign_updated')
  from app_public.campaigns c where c.id in (select campaign_id from changed_timers);
  perform pg_notify('timers', json_build_object('event', 'timers_changed')::text);
  return null;
end;
$$;
comment on function app_private.tg_campaign_timers__notify_campaigns() is
  E'Trigger function: NOTIFY campaign_updated for the campaigns whose timers the statement changed, and timers_changed.';

create or replace trigger _900_notify_after_insert after insert on app_public.campaign_timers
  referencing new table as changed_timers
  for each statement execute function app_private.tg_campaign_timers__notify_campaigns();
create or replace trigger _900_notify_after_update after update on app_public.campaign_timers
  referencing new table as changed_timers
  for each statement execute function app_private.tg_campaign_timers__notify_campaigns();

-- Scheduling helpers used by the lifecycle: one active timer per (campaign, type).
create or replace function app_private.set_timer(
  target_campaign_id uuid, type app_public.timer_type, due_at timestamptz, timer_payload jsonb default '{}'
) returns app_public.campaign_timers
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_timer app_public.campaign_timers;
begin
  update app_public.campaign_timers
     set scheduled_at = due_at, payload = timer_payload, next_attempt_at = null, retry_count = 0, last_error = null
   where campaign_id = target_campaign_id and timer_type = type and status = 'PENDING'
  returning * into v_timer;
  if not found then
    insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at, payload)
    values (target_campaign_id, type, due_at, timer_payload)
    returning * into v_timer;
  end if;
  return v_timer;
end;
$$;
comment on function app_private.set_timer(uuid, app_public.timer_type, timestamptz, jsonb) is
  E'Schedules the campaign''s timer of this type at due_at, moving the pending one if there is one.';

create or replace function app_private.cancel_timers(target_campaign_id uuid, types app_public.timer_type[]) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    update app_public.campaign_timers set status = 'CANCELLED'
    where campaign_id = target_campaign_id and timer_type = any(types) and status in ('PENDING', 'FAILED')
  $$;
comment on function app_private.cancel_timers(uuid, app_public.timer_type[]) is
  E'Cancels the campaign''s pending (and failed) timers of these types.';
