-- Who may see marketers and their members: the members; admins everyone.
-- security definer (also current_user_may_launch_campaign): policies call it as the visitor, who
-- may not name app_private objects in its body.
create or replace function app_private.current_user_may_see_marketer(marketer_id uuid) returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select marketer_id in (select app_private.current_user_marketer_ids()) or app_private.current_user_may_administer() $$;
comment on function app_private.current_user_may_see_marketer(uuid) is
  E'True for the marketer''s members and admins: who sees the marketer, its campaigns manager and its events.';

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
