-- created_at and updated_at are the database's to set: a client cannot backdate a row. On insert,
-- the column defaults set both and visitors are granted neither column; on update, this trigger
-- keeps created_at and moves updated_at forward. (No insert trigger: seeding inserts a thousand
-- rows at a time, and a row trigger there would only repeat the defaults.)

create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  NEW.created_at := OLD.created_at;
  NEW.updated_at := greatest(now(), OLD.updated_at + interval '1 millisecond');
  return NEW;
end;
$$;
comment on function app_private.tg__timestamps() is
  E'Trigger function (before update): keeps created_at and moves updated_at forward.';

do $$
declare
  v_table text;
begin
  foreach v_table in array array['users', 'marketers', 'campaigns', 'campaign_timers']
                          || app_private.content_tables() loop
    execute format('create or replace trigger _100_timestamps before update on app_public.%I
                      for each row execute function app_private.tg__timestamps()', v_table);
  end loop;
end
$$;
