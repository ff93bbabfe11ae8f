-- Launching a campaign at its target, and refreshing its offers. Both only check and enqueue: the
-- populate_target and create_initial_pending_offers tasks do the work, and each step announces
-- itself on the campaign's and its marketer's channels when it commits.

-- A populated target gets the offers job at once. Otherwise (or again, with repopulate) the target
-- is populated first, and the populate_target job carries the campaign, so that its end
-- (finish_target_population) enqueues the offers job: no job waits for the population. Its
-- payload is a list of {target_id, campaign_id}, and graphile-worker appends the list of a job
-- added with the same key (one per target) to that of the job still queued: the campaigns that ask
-- meanwhile share one population. Once that job runs, adding it again makes a new one.
create or replace function app_private.enqueue_offers(offered_campaign app_public.campaigns, repopulate boolean) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_population_status text;
begin
  -- Read under the target's row lock, which finish_target_population's update takes too, so a
  -- launch that commits while a population finishes is not lost: either it locked first, read
  -- populating and added the job while the running one was locked (graphile-worker then adds a new
  -- one, which runs after this commit and carries this campaign), or it waited for that commit and
  -- read populated, and enqueues its offers without populating the target again. (No key update:
  -- it does not block the foreign keys that point at the target, of bands and populations.)
  select population_status into v_population_status from app_public.targets
   where id = offered_campaign.target_id for no key update;
  if repopulate or v_population_status <> 'populated' then
    perform app_private.start_target_population(offered_campaign.target_id);
    perform app_private.add_job('populate_target',
                                json_build_array(json_build_object('target_id', offered_campaign.target_id, 'campaign_id', offered_campaign.id)),
                                job_key => 'populate_target:' || offered_campaign.target_id);
  else
    perform app_private.enqueue_initial_offers(offered_campaign.id);
  end if;
end;
$$;
comment on function app_private.enqueue_offers(app_public.campaigns, boolean) is
  E'Enqueues create_initial_pending_offers for a campaign at a populated target, else populate_target, whose end enqueues the offers.';

create or replace function app_private.launchable_campaign(launched_campaign_id uuid) returns app_public.campaigns
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns;
begin
  perform app_private.assert_may_launch_campaign(launched_campaign_id);
  select * into v_campaign from app_public.campaigns where id = launched_campaign_id for update;
  if v_campaign.target_id is null then
    raise exception 'campaign "%" has no target', v_campaign.name
      using errcode = 'CE303', hint = 'Set its targetId to a target of its marketer, then bid on the target''s bands.';
  end if;
  if not exists (select 1 from app_public.bids where campaign_id = v_campaign.id) then
    raise exception 'campaign "%" has no bids: no one would get an offer', v_campaign.name
      using errcode = 'CE304', hint = 'Bid on at least one band of its target.';
  end if;
  return v_campaign;
end;
$$;
comment on function app_private.launchable_campaign(uuid) is
  E'Locks and returns a campaign the user may launch, with a target and bids; raises CE003, CE303 or CE304 otherwise.';

-- security definer (this and refresh_offers): status, launch time and jobs are not the visitor's
-- to write; both check who is asking first.
create or replace function app_public.launch_campaign(campaign_id uuid) returns app_public.campaigns
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns := app_private.launchable_campaign(campaign_id);
begin
  if v_campaign.launched_at is not null then
    raise exception 'campaign "%" was launched already, at %', v_campaign.name, v_campaign.launched_at
      using errcode = 'CE301', hint = 'To reach people who joined the target since, refresh its offers.';
  end if;
  if v_campaign.status <> 'CREATED' then
    raise exception 'only a CREATED campaign can be launched; "%" is %', v_campaign.name, v_campaign.status using errcode = 'CE302';
  end if;
  update app_public.campaigns c set launched_at = now() where c.id = v_campaign.id;
  perform app_private.transition_campaign(v_campaign.id, 'RUNNING', 'launch_campaign', app_private.person_cause());
  select * into v_campaign from app_public.campaigns c where c.id = v_campaign.id;
  perform app_private.enqueue_offers(v_campaign, repopulate => false);
  return v_campaign;
end;
$$;
comment on function app_public.launch_campaign(uuid) is
  E'Launches a CREATED campaign at its target: it starts (RUNNING), its target is populated if needed, and one pending offer is built per person reached.';

create or replace function app_public.refresh_offers(campaign_id uuid) returns app_public.campaigns
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_campaign app_public.campaigns := app_private.launchable_campaign(campaign_id);
begin
  if v_campaign.status <> 'RUNNING' then
    raise exception 'offers of "%" can be refreshed only while it is RUNNING (it is %)', v_campaign.name, v_campaign.status
      using errcode = 'CE305';
  end if;
  perform app_private.enqueue_offers(v_campaign, repopulate => true);
  return v_campaign;
end;
$$;
comment on function app_public.refresh_offers(uuid) is
  E'Re-populates a RUNNING campaign''s target and makes offers to the people who joined it since.';
