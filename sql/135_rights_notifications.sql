-- When a user's rights shrink, NOTIFY `rights` names them, so that every open stream of theirs
-- (GraphQL subscriptions, the pages' event streams) checks its right again and ends if it is gone
-- (src/server/stream-rights.ts). Rights shrink when a membership ends (deleted, or moved to another
-- marketer or user), when an admin is demoted, and when a user is deleted.
-- Payload: {"event":"rights_changed","user_ids":[…]}, at most 100 ids per notification (NOTIFY
-- carries 8000 bytes); sent once per statement, from statement-level triggers.

create or replace function app_private.notify_rights_changed(user_ids uuid[]) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select pg_notify('rights', json_build_object('event', 'rights_changed', 'user_ids', json_agg(user_id))::text)
      from (select user_id, (row_number() over (order by user_id) - 1) / 100 as chunk
              from (select distinct unnest(user_ids) as user_id) as distinct_ids) as numbered
     group by chunk
  $$;
comment on function app_private.notify_rights_changed(uuid[]) is
  E'Sends rights_changed on the rights channel for these users, 100 ids per notification.';

-- security definer: a visitor's statement may fire these triggers, and may not name app_private.
create or replace function app_private.tg_marketer_members__notify_rights() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.notify_rights_changed(array(select user_id from removed_members));
  return null;
end;
$$;
comment on function app_private.tg_marketer_members__notify_rights() is
  E'Names the users whose memberships a statement ended (deleted or moved) on the rights channel.';

drop trigger if exists _900_notify_rights_on_delete on app_public.marketer_members;
create trigger _900_notify_rights_on_delete
  after delete on app_public.marketer_members
  referencing old table as removed_members
  for each statement execute function app_private.tg_marketer_members__notify_rights();

drop trigger if exists _900_notify_rights_on_update on app_public.marketer_members;
create trigger _900_notify_rights_on_update
  after update on app_public.marketer_members
  referencing old table as removed_members
  for each statement execute function app_private.tg_marketer_members__notify_rights();

-- security definer: as above (a visitor may update their own name).
create or replace function app_private.tg_users__notify_rights() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if TG_OP = 'DELETE' then
    perform app_private.notify_rights_changed(array(select id from old_users));
  else
    perform app_private.notify_rights_changed(array(
      select old_users.id from old_users join new_users using (id)
       where old_users.is_admin and not new_users.is_admin));
  end if;
  return null;
end;
$$;
comment on function app_private.tg_users__notify_rights() is
  E'Names the users a statement demoted from admin, or deleted, on the rights channel.';

drop trigger if exists _900_notify_rights_on_update on app_public.users;
create trigger _900_notify_rights_on_update
  after update on app_public.users
  referencing old table as old_users new table as new_users
  for each statement execute function app_private.tg_users__notify_rights();

drop trigger if exists _900_notify_rights_on_delete on app_public.users;
create trigger _900_notify_rights_on_delete
  after delete on app_public.users
  referencing old table as old_users
  for each statement execute function app_private.tg_users__notify_rights();

revoke execute on function app_private.notify_rights_changed(uuid[]) from public;
