-- Marketers run by their users, through the API (createMarketer, addMarketerMember,
-- removeMarketerMember, leaveMarketer, renameMarketer): whoever creates one is its first owner;
-- owners (and admins) add and remove members and rename it; anyone may leave; a marketer keeps at
-- least one owner. Whoever leaves hands their campaigns of the marketer to an owner (the one who
-- removed them, else the longest-standing), so that the team keeps them and the leaver does not.
-- Ending a membership notifies `rights` (sql/135_rights_notifications.sql), so the streams of
-- whoever left re-check and end; a new member's rights only grow.
--
-- security definer (every function here): visitors may not write marketers or memberships
-- directly; each function checks the rule (sql/150_access_rules.sql) first. Every change locks the
-- marketer's row, so that two owners leaving at once cannot both see the other one stay.

create or replace function app_private.assert_valid_marketer_name(name text) returns text
  language plpgsql immutable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if name is null or app_private.is_blank(name) then
    raise exception 'the marketer''s name is blank' using errcode = 'CE202';
  end if;
  if char_length(name) > 200 then
    raise exception 'the marketer''s name has % characters, more than 200', char_length(name) using errcode = 'CE202';
  end if;
  return name;
end;
$$;
comment on function app_private.assert_valid_marketer_name(text) is
  E'Returns the name, or raises CE202 when it is blank (in any Unicode whitespace) or over 200 characters.';

-- "Not yours" first (CE210 anonymous, CE203 not a member), then "not allowed" (CE211): a stranger
-- learns nothing of a marketer, not even whether it exists.
create or replace function app_private.lock_marketer_to_manage(target_marketer_id uuid, owners_only boolean)
  returns app_public.marketers
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_marketer app_public.marketers;
begin
  if app_public.current_user_id() is null and not app_private.is_operator_session() then
    raise exception 'sign in to manage a marketer' using errcode = 'CE210',
      hint = 'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.';
  end if;
  if app_private.current_user_may_see_marketer(target_marketer_id) then
    select * into v_marketer from app_public.marketers where id = target_marketer_id for update;
  end if;
  if v_marketer.id is null then
    raise exception 'you are not a member of marketer %', target_marketer_id using errcode = 'CE203';
  end if;
  if owners_only and not app_private.current_user_may_manage_marketer(target_marketer_id) then
    raise exception 'only the owners of marketer % may do that', target_marketer_id using errcode = 'CE211';
  end if;
  return v_marketer;
end;
$$;
comment on function app_private.lock_marketer_to_manage(uuid, boolean) is
  E'Locks the marketer for a change of its members or name, after checking that the caller may make it (owners only, or any member).';

create or replace function app_private.end_membership(target_marketer_id uuid, member_id uuid)
  returns app_public.marketer_members
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_membership app_public.marketer_members;
begin
  delete from app_public.marketer_members
   where marketer_id = target_marketer_id and user_id = member_id
  returning * into v_membership;
  if not found then
    raise exception 'user % is not a member of marketer %', member_id, target_marketer_id using errcode = 'CE215';
  end if;
  if v_membership.role = 'owner'
     and not exists (select 1 from app_public.marketer_members where marketer_id = target_marketer_id and role = 'owner') then
    raise exception 'marketer % would have no owner left', target_marketer_id using errcode = 'CE213',
      hint = 'Add another owner first (addMarketerMember with role owner).';
  end if;
  update app_public.campaigns set user_id = (
      select m.user_id from app_public.marketer_members m
       where m.marketer_id = target_marketer_id and m.role = 'owner'
       order by m.user_id = app_public.current_user_id() desc, m.created_at, m.user_id
       limit 1)
   where marketer_id = target_marketer_id and user_id = member_id and not is_pool;
  return v_membership;
end;
$$;
comment on function app_private.end_membership(uuid, uuid) is
  E'Deletes a membership (the caller has locked the marketer), refusing CE215 for a non-member and CE213 for its last owner, and hands the member''s campaigns of the marketer to an owner.';

create or replace function app_public.create_marketer(name text) returns app_public.marketers
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_marketer app_public.marketers;
begin
  if app_public.current_user_id() is null then
    raise exception 'sign in to create a marketer' using errcode = 'CE210',
      hint = 'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.';
  end if;
  begin
    insert into app_public.marketers (name) values (app_private.assert_valid_marketer_name(name)) returning * into v_marketer;
  exception when unique_violation then
    raise exception 'a marketer named "%" exists already', name using errcode = 'CE214';
  end;
  insert into app_public.marketer_members (marketer_id, user_id, role) values (v_marketer.id, app_public.current_user_id(), 'owner');
  return v_marketer;
end;
$$;
comment on function app_public.create_marketer(text) is
  E'Creates a marketer, with the signed-in user as its owner. Names are unique, at most 200 characters.';

create or replace function app_public.rename_marketer(marketer_id uuid, name text) returns app_public.marketers
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_marketer app_public.marketers;
begin
  perform app_private.lock_marketer_to_manage(marketer_id, owners_only => true);
  begin
    update app_public.marketers m set name = app_private.assert_valid_marketer_name(rename_marketer.name)
     where m.id = rename_marketer.marketer_id returning * into v_marketer;
  exception when unique_violation then
    raise exception 'a marketer named "%" exists already', rename_marketer.name using errcode = 'CE214';
  end;
  return v_marketer;
end;
$$;
comment on function app_public.rename_marketer(uuid, text) is
  E'Owners: renames the marketer.';

create or replace function app_public.add_marketer_member(marketer_id uuid, email text,
                                                          role app_public.marketer_role default 'member')
  returns app_public.marketer_members
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_email text := lower(app_private.unicode_trim(coalesce(email, '')));
  v_user_id uuid;
  v_membership app_public.marketer_members;
begin
  perform app_private.lock_marketer_to_manage(marketer_id, owners_only => true);
  if not app_private.is_email_address(v_email) then
    raise exception 'email must be an email address (got "%")', email using errcode = 'CE005';
  end if;
  -- An unknown address becomes a user, as `npm run token` makes one: they sign in with a token.
  insert into app_public.users (email) values (v_email) on conflict on constraint users_email_unique do nothing;
  select id into v_user_id from app_public.users where users.email = v_email;
  insert into app_public.marketer_members (marketer_id, user_id, role)
  values (add_marketer_member.marketer_id, v_user_id, coalesce(add_marketer_member.role, 'member'))
  on conflict do nothing
  returning * into v_membership;
  if v_membership is null then
    raise exception '% is a member of marketer % already', v_email, marketer_id using errcode = 'CE212';
  end if;
  return v_membership;
end;
$$;
comment on function app_public.add_marketer_member(uuid, text, app_public.marketer_role) is
  E'Owners: adds the user of this email (created when unknown) to the marketer, as a member or an owner.';

create or replace function app_public.remove_marketer_member(marketer_id uuid, user_id uuid) returns app_public.marketer_members
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.lock_marketer_to_manage(marketer_id, owners_only => true);
  return app_private.end_membership(marketer_id, user_id);
end;
$$;
comment on function app_public.remove_marketer_member(uuid, uuid) is
  E'Owners: ends a user''s membership of the marketer; its last owner stays. Their open streams of it end.';

create or replace function app_public.leave_marketer(marketer_id uuid) returns app_public.marketer_members
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if app_public.current_user_id() is null then
    raise exception 'sign in to leave a marketer' using errcode = 'CE210',
      hint = 'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.';
  end if;
  perform app_private.lock_marketer_to_manage(marketer_id, owners_only => false);
  return app_private.end_membership(marketer_id, app_public.current_user_id());
end;
$$;
comment on function app_public.leave_marketer(uuid) is
  E'Ends the signed-in user''s membership of the marketer; its last owner cannot leave.';
