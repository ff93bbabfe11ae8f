-- Timers through the API: the owner of a campaign (or an admin) can fire one of its timers now or
-- cancel it; admins can list pending and overdue timers and run the recovery sweep.

-- Finds a timer the signed-in user may change, locked; CE012 otherwise (without telling whether
-- it exists). Only a PENDING or FAILED timer can still be changed (CE013, naming `what` was asked).
create or replace function app_private.editable_timer(wanted_timer_id uuid, what text) returns app_public.campaign_timers
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_timer app_public.campaign_timers;
begin
  select * into v_timer from app_public.campaign_timers where id = wanted_timer_id for update;
  if not found or not app_private.current_user_may_edit_campaign(v_timer.campaign_id) then
    raise exception 'timer % does not exist or is not yours to change', wanted_timer_id using errcode = 'CE012';
  end if;
  if v_timer.status not in ('PENDING', 'FAILED') then
    raise exception 'timer % is %; only a PENDING or FAILED timer can be %', v_timer.id, v_timer.status, what
      using errcode = 'CE013';
  end if;
  return v_timer;
end;
$$;
comment on function app_private.editable_timer(uuid, text) is
  E'The timer, locked, when the signed-in user may change it and it is PENDING or FAILED; raises CE012 or CE013 otherwise.';
drop function if exists app_private.editable_timer(uuid);

-- security definer (this and cancel_timer): timers are not the visitor's to write directly; the
-- functions check ownership through editable_timer first.
create or replace function app_public.execute_timer_now(timer_id uuid) returns app_public.campaign_timers
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_timer app_public.campaign_timers := app_private.editable_timer(timer_id, 'executed now');
begin
  -- A FAILED timer starts over with a fresh set of retries.
  update app_public.campaign_timers t
     set status = 'PENDING', scheduled_at = now(), next_attempt_at = null,
         retry_count = case when v_timer.status = 'FAILED' then 0 else t.retry_count end
   where t.id = v_timer.id
  returning * into v_timer;
  return v_timer;
end;
$$;
comment on function app_public.execute_timer_now(uuid) is
  E'Fires a PENDING timer now instead of at its time, or retries a FAILED one.';

create or replace function app_public.cancel_timer(timer_id uuid) returns app_public.campaign_timers
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_timer app_public.campaign_timers := app_private.editable_timer(timer_id, 'cancelled');
begin
  update app_public.campaign_timers t set status = 'CANCELLED' where t.id = v_timer.id returning * into v_timer;
  return v_timer;
end;
$$;
comment on function app_public.cancel_timer(uuid) is
  E'Cancels a PENDING or FAILED timer: it will not fire.';

-- security definer (this and the lists below): admins act on every campaign's timers.
create or replace function app_public.recover_timers() returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  return app_private.recover_timers();
end;
$$;
comment on function app_public.recover_timers() is
  E'Admins: re-drives timers left behind by a crashed worker now, instead of at the next minute''s sweep. Returns {"abandoned": n, "stranded": n}.';

create or replace function app_public.pending_timers() returns setof app_public.campaign_timers
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  return query select * from app_public.campaign_timers where status = 'PENDING' order by scheduled_at;
end;
$$;
comment on function app_public.pending_timers() is
  E'Admins: every PENDING timer, soonest first.';

create or replace function app_public.overdue_timers() returns setof app_public.campaign_timers
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_admin();
  return query
    select * from app_public.campaign_timers
    -- Unlike ops.stuck_timers, a RUNNING timer counts from its due time: it is late, whether or
    -- not its attempt is stuck.
    where status in ('PENDING', 'RUNNING')
      and app_private.timer_is_overdue(app_private.timer_due_at(scheduled_at, next_attempt_at))
    order by scheduled_at;
end;
$$;
comment on function app_public.overdue_timers() is
  E'Admins: PENDING or RUNNING timers more than a minute past due, oldest first.';
