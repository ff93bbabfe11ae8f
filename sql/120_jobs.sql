-- Background work is enqueued from SQL, inside the transaction that causes it, so a job exists
-- exactly when its cause committed.

-- security definer: visitors may cause jobs (through triggers and functions) but must not reach
-- the graphile_worker schema themselves. (The old five-argument form is dropped first: the new
-- arguments would otherwise make a second, ambiguous overload.)
drop function if exists app_private.add_job(text, json, timestamptz, text, integer);
create or replace function app_private.add_job(
  task_identifier text,
  payload json default '{}',
  run_at timestamptz default null,
  job_key text default null,
  max_attempts integer default null,
  queue_name text default null,
  priority integer default null,
  job_key_mode text default null
) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform graphile_worker.add_job(
    identifier => task_identifier,
    payload => payload,
    run_at => run_at,
    job_key => job_key,
    max_attempts => max_attempts,
    queue_name => queue_name,
    priority => priority,
    job_key_mode => job_key_mode
  );
end;
$$;
comment on function app_private.add_job(text, json, timestamptz, text, integer, text, integer, text) is
  E'Enqueues a graphile-worker job atomically with the calling transaction (arguments as graphile_worker.add_job''s).';

revoke execute on function app_private.add_job(text, json, timestamptz, text, integer, text, integer, text) from public;
