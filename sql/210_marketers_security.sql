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
