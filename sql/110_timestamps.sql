-- created_at and updated_at are the database's to set: a client cannot backdate a row.

create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  NEW.created_at := case when TG_OP = 'INSERT' then now() else OLD.created_at end;
  NEW.updated_at := case when TG_OP = 'UPDATE' and OLD.updated_at >= now() then OLD.updated_at + interval '1 millisecond' else now() end;
  return NEW;
end;
$$;
comment on function app_private.tg__timestamps() is
  E'Trigger function: sets created_at on insert and moves updated_at forward on every change.';

create or replace trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();
create or replace trigger _100_timestamps before insert or update on app_public.marketers
  for each row execute function app_private.tg__timestamps();
create or replace trigger _100_timestamps before insert or update on app_public.campaigns
  for each row execute function app_private.tg__timestamps();
