-- Who may see and change campaigns: the owner and the members of its marketer see it; the owner
-- changes it; admins do everything.
alter table app_public.campaigns enable row level security;
-- A visitor creates campaigns for themselves.
alter table app_public.campaigns alter column user_id set default app_public.current_user_id();

drop policy if exists select_owner_member_or_admin on app_public.campaigns;
create policy select_owner_member_or_admin on app_public.campaigns for select
  using (
    user_id = app_public.current_user_id()
    or marketer_id in (select app_private.current_user_marketer_ids())
    or app_public.current_user_is_admin()
  );

drop policy if exists insert_own on app_public.campaigns;
create policy insert_own on app_public.campaigns for insert
  with check (
    user_id = app_public.current_user_id()
    and (marketer_id is null or marketer_id in (select app_private.current_user_marketer_ids()))
  );

drop policy if exists update_owner_or_admin on app_public.campaigns;
create policy update_owner_or_admin on app_public.campaigns for update
  using (user_id = app_public.current_user_id() or app_public.current_user_is_admin());

drop policy if exists delete_owner_or_admin on app_public.campaigns;
create policy delete_owner_or_admin on app_public.campaigns for delete
  using (user_id = app_public.current_user_id() or app_public.current_user_is_admin());

grant select, delete on app_public.campaigns to campaign_engine_visitor;
grant insert (name, description, marketer_id) on app_public.campaigns to campaign_engine_visitor;
grant update (name, description) on app_public.campaigns to campaign_engine_visitor;
