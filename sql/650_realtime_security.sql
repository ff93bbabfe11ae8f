-- Who may see and change the audience, targets, bids and offers.
--   * participants: admins, and each person their own (through participants.user_id); admins add them;
--   * targets and bands: the marketer's members (and admins), who also create and change them;
--   * populations and offers: written by tasks only; seen by whoever may see the target / campaign,
--     and an offer also by the participant it is for (without its cost);
--   * bids: whoever may launch the campaign.

alter table app_public.participants enable row level security;
drop policy if exists select_self_or_admin on app_public.participants;
create policy select_self_or_admin on app_public.participants for select
  using (user_id = app_public.current_user_id() or app_private.current_user_may_administer());
drop policy if exists write_admin on app_public.participants;
create policy write_admin on app_public.participants for all
  using (app_private.current_user_may_administer()) with check (app_private.current_user_may_administer());
grant select, delete on app_public.participants to campaign_engine_visitor;
grant insert (user_id, name, tags), update (user_id, name, tags) on app_public.participants to campaign_engine_visitor;

alter table app_public.targets enable row level security;
drop policy if exists all_member_or_admin on app_public.targets;
create policy all_member_or_admin on app_public.targets for all
  using (app_private.current_user_may_see_marketer(marketer_id))
  with check (app_private.current_user_may_see_marketer(marketer_id));
grant select, delete on app_public.targets to campaign_engine_visitor;
grant insert (marketer_id, name), update (name) on app_public.targets to campaign_engine_visitor;

alter table app_public.target_bands enable row level security;
drop policy if exists all_if_target_visible on app_public.target_bands;
create policy all_if_target_visible on app_public.target_bands for all
  using (target_id in (select id from app_public.targets))
  with check (target_id in (select id from app_public.targets));
grant select, delete on app_public.target_bands to campaign_engine_visitor;
grant insert (target_id, position, name, required_tags), update (position, name, required_tags) on app_public.target_bands to campaign_engine_visitor;

alter table app_public.target_populations enable row level security;
drop policy if exists select_if_target_visible on app_public.target_populations;
create policy select_if_target_visible on app_public.target_populations for select
  using (target_id in (select id from app_public.targets));
grant select on app_public.target_populations to campaign_engine_visitor;

alter table app_public.bids enable row level security;
drop policy if exists select_if_campaign_visible on app_public.bids;
create policy select_if_campaign_visible on app_public.bids for select
  using (campaign_id in (select id from app_public.campaigns));
drop policy if exists write_if_campaign_launchable on app_public.bids;
create policy write_if_campaign_launchable on app_public.bids for all
  using (app_private.current_user_may_launch_campaign(campaign_id))
  with check (app_private.current_user_may_launch_campaign(campaign_id));
grant select, delete on app_public.bids to campaign_engine_visitor;
grant insert (campaign_id, band_id, offer_amount, marketer_cost), update (offer_amount, marketer_cost) on app_public.bids to campaign_engine_visitor;

alter table app_public.offers enable row level security;
drop policy if exists select_if_campaign_visible_or_own on app_public.offers;
create policy select_if_campaign_visible_or_own on app_public.offers for select
  using (campaign_id in (select id from app_public.campaigns)
         or participant_id in (select id from app_public.participants where user_id = app_public.current_user_id()));
-- What an offer costs the marketer is not for the participant it is offered to, and a column grant
-- cannot depend on the row: no visitor reads cost_amount (marketers see their costs in the bids
-- and in campaign_stats). Every other column is readable.
revoke select on app_public.offers from campaign_engine_visitor;
do $$
begin
  execute format('grant select (%s) on app_public.offers to campaign_engine_visitor',
    (select string_agg(quote_ident(column_name), ', ' order by ordinal_position)
       from information_schema.columns
      where table_schema = 'app_public' and table_name = 'offers' and column_name <> 'cost_amount'));
end
$$;

alter table app_public.campaign_offer_stats enable row level security;
drop policy if exists select_if_campaign_visible on app_public.campaign_offer_stats;
create policy select_if_campaign_visible on app_public.campaign_offer_stats for select
  using (campaign_id in (select id from app_public.campaigns));
grant select on app_public.campaign_offer_stats to campaign_engine_visitor;
