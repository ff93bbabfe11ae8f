-- Worker heartbeats: which graphile-worker pools are alive, and unlocking the jobs of those that
-- died.
--
-- graphile-worker locks a job with the id of the worker pool that runs it (`locked_by`: one id per
-- process, however many jobs it runs at once) and, by itself, unlocks a crashed pool's jobs only
-- after 4 hours. So each process that runs a worker (src/worker.ts) beats for its pool every few
-- seconds, saying how long a silence means it is dead (dead_after). A pool silent for longer is
-- abandoned: its process died, or lost the database for that long. Every beat of a live process
-- then unlocks the abandoned pools' jobs, so that they run again.
--
-- Never presumed dead: a pool that never beat (a plain `npx graphile-worker` process has no
-- heartbeat loop) and one that only the health_ping task beats for (dead_after is null: a busy
-- worker runs that cron job late, so its silence proves nothing).

create or replace function app_private.worker_abandoned(heartbeat app_hidden.worker_heartbeats) returns boolean
  language sql stable
  as $$ select coalesce(heartbeat.beat_at < now() - heartbeat.dead_after, false) $$;
comment on function app_private.worker_abandoned(app_hidden.worker_heartbeats) is
  E'The rule "abandoned worker": silent for longer than it said a silence means death. Its locked jobs are unlocked; ops views show them as abandoned.';

-- Only a worker that has itself beaten without a gap for a whole dead_after judges others. One
-- that was cut off from the database (a restart, a network fault) sees every other worker as
-- silent too: it must give them the time to beat again before taking their jobs from them. This
-- holds for a process that just started as well.
create or replace function app_private.worker_beats_steadily(heartbeat app_hidden.worker_heartbeats) returns boolean
  language sql stable
  as $$
    select not app_private.worker_abandoned(heartbeat)
       and coalesce(heartbeat.beating_since <= now() - heartbeat.dead_after, false)
  $$;
comment on function app_private.worker_beats_steadily(app_hidden.worker_heartbeats) is
  E'True when the worker has beaten without a gap for at least its dead_after: only then does it unlock the jobs of abandoned workers.';

create or replace function app_private.beat_worker(worker_id text, dead_after interval) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    insert into app_hidden.worker_heartbeats as heartbeat (worker_id, beat_at, dead_after, beating_since)
    values (beat_worker.worker_id, now(), beat_worker.dead_after, now())
    on conflict on constraint worker_heartbeats_pkey do update
       set beat_at = now(),
           dead_after = excluded.dead_after,
           -- After a gap (or after beats of health_ping alone) the worker starts beating anew.
           beating_since = case when heartbeat.beating_since is null or app_private.worker_abandoned(heartbeat)
                                then now() else heartbeat.beating_since end
  $$;
comment on function app_private.beat_worker(text, interval) is
  E'Records that the worker pool is alive, and that a silence longer than dead_after will mean it is dead.';

create or replace function app_private.record_health_ping(worker_id text) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    insert into app_hidden.worker_heartbeats as heartbeat (worker_id, beat_at)
    values (record_health_ping.worker_id, now())
    on conflict on constraint worker_heartbeats_pkey do update set beat_at = now();
    delete from app_hidden.worker_heartbeats where beat_at < now() - interval '1 day';
  $$;
comment on function app_private.record_health_ping(text) is
  E'What the health_ping job records: the worker pool took a job now (beat_at only; dead_after stays as it was), and workers silent for a day are forgotten.';

create or replace function app_private.unlock_abandoned_jobs(judge_id text) returns text[]
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_dead text[];
begin
  if not exists (select 1 from app_hidden.worker_heartbeats heartbeat
                  where heartbeat.worker_id = judge_id and app_private.worker_beats_steadily(heartbeat)) then
    return '{}';
  end if;
  -- for update: a worker that beats while it is being judged waits, and the rule is checked again
  -- against its new beat (then it is spared).
  select array_agg(dead.worker_id) into v_dead
    from (select heartbeat.worker_id
            from app_hidden.worker_heartbeats heartbeat
           where app_private.worker_abandoned(heartbeat)
             and exists (select 1 from graphile_worker.jobs job where job.locked_by = heartbeat.worker_id)
             for update of heartbeat) dead;
  if v_dead is null then
    return '{}';
  end if;
  perform graphile_worker.force_unlock_workers(v_dead);
  return v_dead;
end;
$$;
comment on function app_private.unlock_abandoned_jobs(text) is
  E'Called on each beat of the worker judge_id: unlocks the jobs of abandoned workers, unless judge_id itself has not beaten steadily for long enough; returns the workers whose jobs it unlocked.';

-- A worker that stopped cleanly: nothing of it runs any more, so a job still locked by it is
-- stranded (it is unlocked), and its heartbeat goes, so that it is not shown as abandoned.
create or replace function app_private.end_worker_heartbeat(worker_id text) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform graphile_worker.force_unlock_workers(array[worker_id]);
  delete from app_hidden.worker_heartbeats heartbeat where heartbeat.worker_id = end_worker_heartbeat.worker_id;
end;
$$;
comment on function app_private.end_worker_heartbeat(text) is
  E'Called when a worker pool has stopped: unlocks any job it still holds and forgets its heartbeat.';

-- A job this worker finished (graphile-worker announced job:complete) but whose completion or
-- failure never reached the database (graphile-worker gave up retrying during an outage) stays
-- locked by a live worker, for graphile-worker's 4 hours. The worker passes the ids of jobs it
-- finished over a minute ago: any of them still locked by it is stranded, and unlocked to run again.
create or replace function app_private.unlock_stranded_jobs(worker_id text, finished_job_ids bigint[]) returns bigint[]
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_stranded bigint[];
begin
  with stranded as (
    update graphile_worker._private_jobs job
       set locked_at = null, locked_by = null
     where job.locked_by = unlock_stranded_jobs.worker_id and job.id = any(finished_job_ids)
    returning job.id, job.job_queue_id
  ), queues as (
    update graphile_worker._private_job_queues queue
       set locked_at = null, locked_by = null
     where queue.locked_by = unlock_stranded_jobs.worker_id and queue.id in (select job_queue_id from stranded)
    returning queue.id
  )
  select array_agg(stranded.id) into v_stranded from stranded, (select count(*) from queues) as unlocked_queues;
  return coalesce(v_stranded, '{}');
end;
$$;
comment on function app_private.unlock_stranded_jobs(text, bigint[]) is
  E'Unlocks the jobs among finished_job_ids that worker_id finished long ago and still locks (their completion was lost to an outage); returns their ids.';
