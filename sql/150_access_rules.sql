-- Who may see, change and launch what: the rules every policy, function and server query asks.
-- None of them restates a rule; a new one goes here. The row-level rules come as sets of ids
-- (current_user_marketer_ids, current_user_campaign_rights) so that a policy can ask them once
-- per statement (`id in (select …)`), as Supabase advises, instead of once per row.
--
-- security definer (every function here): policies call them as the visitor, who may not name
-- app_private objects (as their bodies do); and they read marketer_members and campaigns as the
-- owner, so they do not depend on those tables' own policies (which ask them).

create or replace function app_private.current_user_marketer_ids() returns setof uuid
  language sql stable security definer rows 10
  set search_path = pg_catalog, public, pg_temp
  as $$
    select marketer_id from app_public.marketer_members
    where user_id = app_public.current_user_id()
  $$;
comment on function app_private.current_user_marketer_ids() is
  E'Membership: the marketers the signed-in user is a member of.';

create or replace function app_private.current_user_may_see_marketer(marketer_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.current_user_may_administer() or marketer_id in (select app_private.current_user_marketer_ids()) $$;
comment on function app_private.current_user_may_see_marketer(uuid) is
  E'True for the marketer''s members and admins: who sees the marketer, its campaigns manager and its events.';

create or replace function app_private.current_user_may_manage_marketer(marketer_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.current_user_may_administer()
        or exists (select 1 from app_public.marketer_members m
                    where m.marketer_id = current_user_may_manage_marketer.marketer_id
                      and m.user_id = app_public.current_user_id() and m.role = 'owner')
  $$;
comment on function app_private.current_user_may_manage_marketer(uuid) is
  E'True for the marketer''s owners and admins: who adds and removes its members and renames it.';

-- A campaign still in a pool is nobody's yet. Once handed over, its owner changes it, and the
-- members of its marketer work on it as a team: they see it and launch it. A campaign of a
-- marketer is its owner's only while they are a member (leaving hands it to an owner:
-- sql/215_marketer_membership.sql).
create or replace function app_private.current_user_campaign_rights() returns table (campaign_id uuid, may_edit boolean)
  language sql stable security definer rows 10
  set search_path = pg_catalog, public, pg_temp
  as $$
    select id, user_id is not distinct from app_public.current_user_id()
      from app_public.campaigns
     where not is_pool
       and ((user_id = app_public.current_user_id() and marketer_id is null)
            or marketer_id in (select app_private.current_user_marketer_ids()))
  $$;
comment on function app_private.current_user_campaign_rights() is
  E'The campaigns the signed-in user sees as owner or marketer member (not admin), and whether they may change each (the owner only).';

create or replace function app_private.current_user_may_see_campaign(campaign_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.current_user_may_administer()
        or campaign_id in (select r.campaign_id from app_private.current_user_campaign_rights() r)
  $$;
comment on function app_private.current_user_may_see_campaign(uuid) is
  E'True for the campaign''s owner, the members of its marketer, and admins.';

-- Marketers work as a team: whoever sees a campaign may launch it and bid on it.
create or replace function app_private.current_user_may_launch_campaign(campaign_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.current_user_may_see_campaign(campaign_id) $$;
comment on function app_private.current_user_may_launch_campaign(uuid) is
  E'True for the campaign''s owner, the members of its marketer, and admins.';

create or replace function app_private.current_user_may_edit_campaign(campaign_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.current_user_may_administer()
        or campaign_id in (select r.campaign_id from app_private.current_user_campaign_rights() r where r.may_edit)
  $$;
comment on function app_private.current_user_may_edit_campaign(uuid) is
  E'True when the signed-in user owns the campaign (handed over, not in a pool) or may administer (an admin, or an operator''s session).';

-- For functions that refuse: "not yours" and "does not exist" are one answer, so a stranger learns
-- nothing about other people's campaigns.
create or replace function app_private.assert_may_edit_campaign(target_campaign_id uuid) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_private.current_user_may_edit_campaign(target_campaign_id) then
    raise exception 'campaign % does not exist or is not yours to change', target_campaign_id using errcode = 'CE003';
  end if;
end;
$$;
comment on function app_private.assert_may_edit_campaign(uuid) is
  E'Raises CE003 unless the signed-in user owns the campaign or is an admin.';

create or replace function app_private.assert_may_launch_campaign(target_campaign_id uuid) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_private.current_user_may_launch_campaign(target_campaign_id) then
    raise exception 'campaign % does not exist or is not yours to change', target_campaign_id using errcode = 'CE003';
  end if;
end;
$$;
comment on function app_private.assert_may_launch_campaign(uuid) is
  E'Raises CE003 unless the signed-in user owns the campaign, is a member of its marketer, or is an admin.';
