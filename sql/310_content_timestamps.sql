-- Content rows get their timestamps from the database, like every other table (see 110_timestamps.sql).
do $$
declare
  v_table text;
begin
  foreach v_table in array app_private.content_tables() loop
    execute format('create or replace trigger _100_timestamps before update on app_public.%I
                      for each row execute function app_private.tg__timestamps()', v_table);
  end loop;
end
$$;
