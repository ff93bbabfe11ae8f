-- Who may see and change campaigns, as sql/150_access_rules.sql says: the owner and the members of
-- its marketer see it, the owner changes it, admins do everything; a campaign still in a pool is
-- nobody's yet. Campaigns are created only by app_public.create_campaign (sql/500_create_campaign.sql).
-- The select policy asks the rights once per statement (an initplan and a hashed set), not per row.
alter table app_public.campaigns enable row level security;

drop policy if exists select_owner_member_or_admin on app_public.campaigns;
create policy select_owner_member_or_admin on app_public.campaigns for select
  using ((select app_private.current_user_may_administer())
         or id in (select r.campaign_id from app_private.current_user_campaign_rights() r));

drop policy if exists insert_own on app_public.campaigns;

drop policy if exists update_owner_or_admin on app_public.campaigns;
create policy update_owner_or_admin on app_public.campaigns for update
  using (app_private.current_user_may_edit_campaign(id));

drop policy if exists delete_owner_or_admin on app_public.campaigns;
create policy delete_owner_or_admin on app_public.campaigns for delete
  using (app_private.current_user_may_edit_campaign(id));

grant select, delete on app_public.campaigns to campaign_engine_visitor;
revoke insert on app_public.campaigns from campaign_engine_visitor;
grant update (name, description, target_id) on app_public.campaigns to campaign_engine_visitor;
