-- Who may see marketers and their members: the members; admins everyone.
alter table app_public.marketers enable row level security;
alter table app_public.marketer_members enable row level security;

drop policy if exists select_member_or_admin on app_public.marketers;
create policy select_member_or_admin on app_public.marketers for select
  using (id in (select app_private.current_user_marketer_ids()) or app_public.current_user_is_admin());

drop policy if exists select_fellow_member_or_admin on app_public.marketer_members;
create policy select_fellow_member_or_admin on app_public.marketer_members for select
  using (marketer_id in (select app_private.current_user_marketer_ids()) or app_public.current_user_is_admin());

grant select on app_public.marketers to campaign_engine_visitor;
grant select on app_public.marketer_members to campaign_engine_visitor;
