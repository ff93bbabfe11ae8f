-- Lifecycle monitoring for operators in psql: `select * from ops.stuck_timers;` and so on.

-- Stuck differs from app_public.overdue_timers() for RUNNING timers on purpose: a RUNNING timer is
-- stuck only when its attempt has lasted 5 minutes (by updated_at), whatever its due time, since
-- a timer that started late but is firing needs nobody; overdue_timers lists it from its due time.
create or replace view ops.stuck_timers as
  select t.id as timer_id, t.campaign_id, t.timer_type, t.status, t.scheduled_at,
         now() - app_private.timer_due_at(t.scheduled_at, t.next_attempt_at) as overdue_by,
         t.retry_count, t.locked_by, t.last_error, job.id as job_id, job.locked_at as job_locked_at
    from app_public.campaign_timers t
    left join graphile_worker.jobs job on job.key = t.id::text
   where (t.status = 'PENDING' and app_private.timer_is_overdue(app_private.timer_due_at(t.scheduled_at, t.next_attempt_at)))
      or (t.status = 'RUNNING' and t.updated_at < now() - interval '5 minutes')
   order by t.scheduled_at;
comment on view ops.stuck_timers is
  E'Timers more than a minute overdue, or RUNNING for over 5 minutes, with their job (recover_timers re-drives them).';

create or replace view ops.failed_timers as
  select t.id as timer_id, t.campaign_id, c.name as campaign_name, c.status as campaign_status, t.timer_type,
         t.scheduled_at, t.retry_count, t.last_error, t.updated_at as failed_at
    from app_public.campaign_timers t
    join app_public.campaigns c on c.id = t.campaign_id
   where t.status = 'FAILED'
   order by t.updated_at desc;
comment on view ops.failed_timers is
  E'Timers that failed after 5 retries and need a person: retry with execute_timer_now(id) or cancel_timer(id).';

create or replace view ops.campaign_state_distribution as
  select s.status, count(c.id) as campaigns,
         count(c.id) filter (where c.updated_at > now() - interval '24 hours') as changed_last_24h
    from unnest(enum_range(null::app_public.campaign_status)) as s(status)
    left join app_public.campaigns c on c.status = s.status and not app_private.is_template(c)
   group by s.status
   order by s.status;
comment on view ops.campaign_state_distribution is E'How many campaigns are in each lifecycle state.';

create or replace view ops.timer_performance_24h as
  select t.timer_type,
         count(*) as executions,
         count(*) filter (where e.status = 'COMPLETED') as completed,
         count(*) filter (where e.status = 'FAILED') as failed,
         round(avg(e.execution_time_ms), 3) as avg_ms,
         round((percentile_cont(0.95) within group (order by e.execution_time_ms))::numeric, 3) as p95_ms,
         max(e.execution_time_ms) as max_ms,
         round((avg(extract(epoch from e.started_at - t.scheduled_at)) * 1000)::numeric, 3) as avg_start_delay_ms
    from app_public.timer_executions e
    join app_public.campaign_timers t on t.id = e.timer_id
   where e.started_at > now() - interval '24 hours'
   group by t.timer_type
   order by t.timer_type;
comment on view ops.timer_performance_24h is
  E'Timer executions of the last 24 hours per type: outcomes, execution time and how late they started.';

create or replace view ops.lifecycle_table_sizes as
  select tables.name,
         coalesce(sum(child.reltuples) filter (where child.reltuples > 0), 0)::bigint as estimated_rows,
         pg_size_pretty(sum(pg_total_relation_size(child.oid))) as total_size,
         sum(pg_total_relation_size(child.oid)) as total_bytes
    from (values ('app_public.campaign_state_log'), ('app_private.campaign_state_log_archive'),
                 ('app_public.campaign_timers'), ('app_public.timer_executions'),
                 ('app_public.campaign_metrics')) as tables(name)
    cross join lateral (
      -- A partitioned table's size is its partitions' sizes.
      select c.oid, c.reltuples from pg_class c
       where c.oid = tables.name::regclass
          or c.oid in (select inhrelid from pg_inherits where inhparent = tables.name::regclass)
    ) as child
   group by tables.name
   order by total_bytes desc;
comment on view ops.lifecycle_table_sizes is E'Size and estimated rows of the lifecycle tables (partitions included).';
