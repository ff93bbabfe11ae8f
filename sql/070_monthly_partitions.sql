-- Tables range-partitioned by month (UTC): app_public.<parent> with partitions
-- app_private.<parent>_yYYYYmMM and a default partition app_private.<parent>_default that catches a
-- month nobody created. Partitions are created ahead of time by cron tasks (there is no pg_cron);
-- creating a month later moves its rows out of the default partition.

create or replace function app_private.monthly_partition_name(parent text, month date) returns text
  language sql immutable
  as $$ select parent || '_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM') $$;
comment on function app_private.monthly_partition_name(text, date) is
  E'The name of the partition of app_public.<parent> holding the month that starts on month.';

create or replace function app_private.ensure_monthly_partition(parent text, partition_column text, month date) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_name text := app_private.monthly_partition_name(parent, date_trunc('month', month)::date);
  v_from timestamptz := date_trunc('month', month)::timestamp at time zone 'UTC';
  v_to timestamptz := (date_trunc('month', month) + interval '1 month')::timestamp at time zone 'UTC';
begin
  if to_regclass(format('app_private.%I', v_name)) is not null then
    return false;
  end if;
  execute format('create table app_private.%I (like app_public.%I including defaults)', v_name, parent);
  -- Rows the default partition took for this month move into the new partition, or attaching fails.
  execute format('with moved as (delete from app_private.%I where %I >= %L and %I < %L returning *)
                  insert into app_private.%I select * from moved',
                 parent || '_default', partition_column, v_from, partition_column, v_to, v_name);
  execute format('alter table app_public.%I attach partition app_private.%I for values from (%L) to (%L)',
                 parent, v_name, v_from, v_to);
  return true;
end;
$$;
comment on function app_private.ensure_monthly_partition(text, text, date) is
  E'Creates the partition of app_public.<parent> for the month containing month (moving its rows out of the default partition); false when it exists.';

create or replace function app_private.create_monthly_partitions(parent text, partition_column text, months_ahead integer) returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select count(*) filter (where app_private.ensure_monthly_partition(parent, partition_column,
             (date_trunc('month', now() at time zone 'UTC') + ahead * interval '1 month')::date))::integer
    from generate_series(0, months_ahead) as ahead
  $$;
comment on function app_private.create_monthly_partitions(text, text, integer) is
  E'Creates the partitions of app_public.<parent> for this month and the next months_ahead months; returns how many were new.';

create or replace function app_private.drop_monthly_partitions_before(parent text, cutoff timestamptz) returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_partition record;
  v_dropped integer := 0;
begin
  for v_partition in
    select child.relname, make_date(parts[1]::integer, parts[2]::integer, 1) as month
      from pg_inherits
      join pg_class child on child.oid = pg_inherits.inhrelid
      cross join lateral regexp_match(child.relname, '^' || parent || '_y(\d{4})m(\d{2})$') as parts
     where pg_inherits.inhparent = format('app_public.%I', parent)::regclass
  loop
    if (v_partition.month + interval '1 month')::timestamp at time zone 'UTC' <= cutoff then
      execute format('drop table app_private.%I', v_partition.relname);
      v_dropped := v_dropped + 1;
    end if;
  end loop;
  return v_dropped;
end;
$$;
comment on function app_private.drop_monthly_partitions_before(text, timestamptz) is
  E'Drops the partitions of app_public.<parent> whose whole month is before cutoff (the caller emptied them); returns how many.';
