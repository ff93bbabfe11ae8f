-- Views for operators in psql: `select * from ops.<view>`.

create or replace view ops.worker_heartbeats as
  select worker_id, beat_at, now() - beat_at as silent_for
  from app_hidden.worker_heartbeats
  order by beat_at desc;
comment on view ops.worker_heartbeats is E'graphile-worker processes and how long since each last ran health_ping.';

create or replace view ops.job_queue as
  select task_identifier, count(*) as jobs,
         count(*) filter (where locked_at is not null) as running,
         count(*) filter (where attempts > 0 and last_error is not null) as failing,
         min(run_at) as next_run_at
  from graphile_worker.jobs
  group by task_identifier
  order by task_identifier;
comment on view ops.job_queue is E'Queued graphile-worker jobs per task: how many, running, failing, next due.';
