-- Who may see and change campaigns: the owner and the members of its marketer see it; the owner
-- changes it; admins do everything. A campaign still in a pool is nobody's yet: only admins see it.
-- Campaigns are created only by app_public.create_campaign (sql/500_create_campaign.sql).
alter table app_public.campaigns enable row level security;

drop policy if exists select_owner_member_or_admin on app_public.campaigns;
create policy select_owner_member_or_admin on app_public.campaigns for select
  using (
    (not is_pool and (user_id = app_public.current_user_id()
                      or marketer_id in (select app_private.current_user_marketer_ids())))
    or app_private.current_user_may_administer()
  );

drop policy if exists insert_own on app_public.campaigns;

drop policy if exists update_owner_or_admin on app_public.campaigns;
create policy update_owner_or_admin on app_public.campaigns for update
  using ((not is_pool and user_id = app_public.current_user_id()) or app_private.current_user_may_administer());

drop policy if exists delete_owner_or_admin on app_public.campaigns;
create policy delete_owner_or_admin on app_public.campaigns for delete
  using ((not is_pool and user_id = app_public.current_user_id()) or app_private.current_user_may_administer());

grant select, delete on app_public.campaigns to campaign_engine_visitor;
revoke insert on app_public.campaigns from campaign_engine_visitor;
grant update (name, description, target_id) on app_public.campaigns to campaign_engine_visitor;
