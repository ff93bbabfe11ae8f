-- Who may see marketers and their members: the members; admins everyone (the rule is
-- current_user_may_see_marketer, sql/150_access_rules.sql).

alter table app_public.marketers enable row level security;
alter table app_public.marketer_members enable row level security;

drop policy if exists select_member_or_admin on app_public.marketers;
create policy select_member_or_admin on app_public.marketers for select
  using (app_private.current_user_may_see_marketer(id));

drop policy if exists select_fellow_member_or_admin on app_public.marketer_members;
create policy select_fellow_member_or_admin on app_public.marketer_members for select
  using (app_private.current_user_may_see_marketer(marketer_id));

grant select on app_public.marketers to campaign_engine_visitor;
grant select on app_public.marketer_members to campaign_engine_visitor;

-- Users rows are their owner's and the admins' to read, so a team would see only the ids of its
-- fellow members: their email is what tells them apart (and what owners add them by). security
-- definer: the fellow member's users row is not the caller's to read. The membership must exist
-- and the caller see its marketer, so a made-up row reveals nothing.
create or replace function app_public.marketer_members_email(membership app_public.marketer_members) returns text
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select u.email
      from app_public.marketer_members m join app_public.users u on u.id = m.user_id
     where m.marketer_id = membership.marketer_id and m.user_id = membership.user_id
       and app_private.current_user_may_see_marketer(m.marketer_id)
  $$;
comment on function app_public.marketer_members_email(app_public.marketer_members) is
  E'The member''s email, for the marketer''s members and admins.';
