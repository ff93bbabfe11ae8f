-- Who may see and change users: yourself; admins everyone.
alter table app_public.users enable row level security;

drop policy if exists select_self_or_admin on app_public.users;
create policy select_self_or_admin on app_public.users for select
  using (id = app_public.current_user_id() or app_private.current_user_may_administer());

drop policy if exists update_self on app_public.users;
create policy update_self on app_public.users for update
  using (id = app_public.current_user_id());

grant select on app_public.users to campaign_engine_visitor;
grant update (name) on app_public.users to campaign_engine_visitor;
