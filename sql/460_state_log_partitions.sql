-- campaign_state_log is range-partitioned by month (sql/070_monthly_partitions.sql); the
-- create_state_log_partitions cron task creates its partitions ahead of time. Rows older
-- than a year move to app_private.campaign_state_log_archive (archive_state_log, monthly).

create or replace function app_private.state_log_partition_name(month date) returns text
  language sql immutable
  as $$ select app_private.monthly_partition_name('campaign_state_log', month) $$;
comment on function app_private.state_log_partition_name(date) is
  E'The name of the state log partition holding the month that starts on month.';

create or replace function app_private.ensure_state_log_partition(month date) returns boolean
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.ensure_monthly_partition('campaign_state_log', 'created_at', month) $$;
comment on function app_private.ensure_state_log_partition(date) is
  E'Creates the state log partition of the month containing month (moving its rows out of the default partition); false when it exists.';

create or replace function app_private.create_state_log_partitions(months_ahead integer default 3) returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.create_monthly_partitions('campaign_state_log', 'created_at', months_ahead) $$;
comment on function app_private.create_state_log_partitions(integer) is
  E'Creates the state log partitions of this month and the next months_ahead months; returns how many were new.';

create or replace function app_private.archive_state_log(older_than interval default interval '1 year') returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_cutoff timestamptz := now() - older_than;
  v_moved integer;
begin
  with moved as (
    delete from app_public.campaign_state_log where created_at < v_cutoff returning *
  )
  insert into app_private.campaign_state_log_archive (id, campaign_id, from_state, to_state, trigger_event, metadata, created_at)
  select id, campaign_id, from_state, to_state, trigger_event, metadata, created_at from moved;
  get diagnostics v_moved = row_count;

  -- Partitions wholly before the cutoff are empty now; drop them rather than keep empty tables.
  perform app_private.drop_monthly_partitions_before('campaign_state_log', v_cutoff);
  return v_moved;
end;
$$;
comment on function app_private.archive_state_log(interval) is
  E'Moves state log rows older than older_than (a year) to the archive table and drops the partitions that emptied; returns how many rows moved.';

-- Every install has this month's partitions and the next few, before any cron task has run.
select app_private.create_state_log_partitions();
