-- campaign_state_log is range-partitioned by month (UTC). Partitions are created ahead of time by
-- the create_state_log_partitions cron task (there is no pg_cron); the default partition catches
-- a month nobody created, and creating that month later moves its rows into place. Rows older
-- than a year move to app_private.campaign_state_log_archive (archive_state_log, monthly).

create or replace function app_private.state_log_partition_name(month date) returns text
  language sql immutable
  as $$ select 'campaign_state_log_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM') $$;
comment on function app_private.state_log_partition_name(date) is
  E'The name of the state log partition holding the month that starts on month.';

create or replace function app_private.ensure_state_log_partition(month date) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_name text := app_private.state_log_partition_name(date_trunc('month', month)::date);
  v_from timestamptz := date_trunc('month', month)::timestamp at time zone 'UTC';
  v_to timestamptz := (date_trunc('month', month) + interval '1 month')::timestamp at time zone 'UTC';
begin
  if to_regclass(format('app_private.%I', v_name)) is not null then
    return false;
  end if;
  execute format('create table app_private.%I (like app_public.campaign_state_log including defaults)', v_name);
  -- Rows the default partition took for this month move into the new partition, or attaching fails.
  execute format('with moved as (delete from app_private.campaign_state_log_default
                                  where created_at >= %L and created_at < %L returning *)
                  insert into app_private.%I select * from moved', v_from, v_to, v_name);
  execute format('alter table app_public.campaign_state_log attach partition app_private.%I for values from (%L) to (%L)',
                 v_name, v_from, v_to);
  return true;
end;
$$;
comment on function app_private.ensure_state_log_partition(date) is
  E'Creates the state log partition of the month containing month (moving its rows out of the default partition); false when it exists.';

create or replace function app_private.create_state_log_partitions(months_ahead integer default 3) returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select count(*) filter (where app_private.ensure_state_log_partition(
             (date_trunc('month', now() at time zone 'UTC') + ahead * interval '1 month')::date))::integer
    from generate_series(0, months_ahead) as ahead
  $$;
comment on function app_private.create_state_log_partitions(integer) is
  E'Creates the state log partitions of this month and the next months_ahead months; returns how many were new.';

create or replace function app_private.archive_state_log(older_than interval default interval '1 year') returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_cutoff timestamptz := now() - older_than;
  v_moved integer;
  v_partition record;
begin
  with moved as (
    delete from app_public.campaign_state_log where created_at < v_cutoff returning *
  )
  insert into app_private.campaign_state_log_archive (id, campaign_id, from_state, to_state, trigger_event, metadata, created_at)
  select id, campaign_id, from_state, to_state, trigger_event, metadata, created_at from moved;
  get diagnostics v_moved = row_count;

  -- Partitions wholly before the cutoff are empty now; drop them rather than keep empty tables.
  for v_partition in
    select child.relname,
           make_date(parts[1]::integer, parts[2]::integer, 1) as month
      from pg_inherits
      join pg_class child on child.oid = pg_inherits.inhrelid
      cross join lateral regexp_match(child.relname, '^campaign_state_log_y(\d{4})m(\d{2})$') as parts
     where pg_inherits.inhparent = 'app_public.campaign_state_log'::regclass
  loop
    if (v_partition.month + interval '1 month')::timestamp at time zone 'UTC' <= v_cutoff then
      execute format('drop table app_private.%I', v_partition.relname);
    end if;
  end loop;
  return v_moved;
end;
$$;
comment on function app_private.archive_state_log(interval) is
  E'Moves state log rows older than older_than (a year) to the archive table and drops the partitions that emptied; returns how many rows moved.';

-- Every install has this month's partitions and the next few, before any cron task has run.
select app_private.create_state_log_partitions();
