-- Views for operators in psql: `select * from ops.<view>`.

-- Columns are only ever added at the end: `create or replace view` keeps the existing ones in place.
create or replace view ops.worker_heartbeats as
  select heartbeat.worker_id, heartbeat.beat_at, now() - heartbeat.beat_at as silent_for,
         heartbeat.dead_after, app_private.worker_abandoned(heartbeat) as abandoned,
         (select count(*) from graphile_worker.jobs job where job.locked_by = heartbeat.worker_id) as locked_jobs
  from app_hidden.worker_heartbeats heartbeat
  order by heartbeat.beat_at desc;
comment on view ops.worker_heartbeats is
  E'graphile-worker pools (one per process; the id jobs are locked by): when each last beat, after how long a silence it counts as dead (null: never, only health_ping beats for it), whether it is abandoned (silent longer than that), and how many jobs it holds.';

create or replace view ops.job_queue as
  select job.task_identifier, count(*) as jobs,
         count(*) filter (where job.locked_at is not null and not app_private.worker_abandoned(heartbeat)) as running,
         count(*) filter (where job.attempts > 0 and job.last_error is not null) as failing,
         min(job.run_at) as next_run_at,
         count(*) filter (where job.locked_at is not null and app_private.worker_abandoned(heartbeat)) as abandoned
  from graphile_worker.jobs job
  left join app_hidden.worker_heartbeats heartbeat on heartbeat.worker_id = job.locked_by
  group by job.task_identifier
  order by job.task_identifier;
comment on view ops.job_queue is
  E'Queued graphile-worker jobs per task: how many, running (locked by a live worker), failing, next due, and abandoned (locked by a worker presumed dead, see ops.worker_heartbeats; a live worker unlocks them within seconds).';
