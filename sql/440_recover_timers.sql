-- Crash recovery. Timers are the truth, not the job queue: this sweep (cron every minute, at
-- worker start-up, and recoverTimers on demand) finds timers that a crash left without a way to
-- fire and gives them one. It never fires a timer itself, and firing is guarded by the timer's
-- advisory lock and idempotent effects, so a timer re-driven here still changes its campaign once.
--   * RUNNING, but nobody holds its advisory lock: the worker died mid-attempt. Its attempt is
--     marked FAILED (not counted as a retry), the dead worker's job is unlocked (graphile-worker
--     alone would keep it locked for 4 hours), and the timer is PENDING again, due now.
--   * PENDING and overdue, with no job, or with a job locked for longer than a claim takes (its
--     worker died between taking the job and claiming the timer): the job is unlocked or re-added.
-- It also resolves the timer_failed alert once no timer is FAILED any more.

-- Recovery's lateness: a PENDING timer due more than 10 s ago may have lost its way to fire. Far
-- shorter than the minute of app_private.timer_is_overdue (what people are shown) on purpose: the
-- sweep re-drives only timers whose job is also missing or stuck, so acting early costs nothing
-- and a crashed worker's timers fire soon. Inlinable like timer_due_at.
create or replace function app_private.timer_may_be_stranded(due_at timestamptz) returns boolean
  language sql stable parallel safe
  as $$ select due_at < now() - interval '10 seconds' $$;
comment on function app_private.timer_may_be_stranded(timestamptz) is
  E'Whether a PENDING timer due at due_at is late enough for crash recovery to check its job: due more than 10 s ago.';

create or replace function app_private.recover_timers() returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_abandoned uuid[] := '{}';
  v_stranded uuid[] := '{}';
  v_timer record;
begin
  for v_timer in
    select id, locked_by from app_public.campaign_timers where status = 'RUNNING' for update skip locked
  loop
    -- Taken for this transaction only, so no worker claims the timer while it is being reset.
    if pg_try_advisory_xact_lock(app_private.timer_lock_key(v_timer.id)) then
      perform app_private.end_abandoned_executions(v_timer.id);
      if v_timer.locked_by is not null then
        perform graphile_worker.force_unlock_workers(array[v_timer.locked_by]);
      end if;
      v_abandoned := v_abandoned || v_timer.id;
    end if;
  end loop;

  for v_timer in
    select t.id, job.locked_by
      from app_public.campaign_timers t
      left join graphile_worker.jobs job on job.key = t.id::text
     where t.status = 'PENDING'
       and app_private.timer_may_be_stranded(app_private.timer_due_at(t.scheduled_at, t.next_attempt_at))
       and (job.id is null
            or job.locked_at < now() - interval '10 seconds'
            or job.attempts >= job.max_attempts)
       for update of t skip locked
  loop
    if v_timer.locked_by is not null then
      perform graphile_worker.force_unlock_workers(array[v_timer.locked_by]);
    end if;
    v_stranded := v_stranded || v_timer.id;
  end loop;

  -- Due now: the update re-adds (or moves) each timer's job through the timers' own trigger.
  update app_public.campaign_timers
     set status = 'PENDING', locked_by = null, next_attempt_at = now()
   where id = any(v_abandoned || v_stranded);

  if not exists (select 1 from app_public.campaign_timers where status = 'FAILED') then
    perform app_private.resolve_alert('timer_failed');
  end if;
  return jsonb_build_object('abandoned', cardinality(v_abandoned), 'stranded', cardinality(v_stranded));
end;
$$;
comment on function app_private.recover_timers() is
  E'Re-drives timers a crash left behind (RUNNING with a dead worker, overdue PENDING without a live job); returns how many of each.';
