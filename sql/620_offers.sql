-- Offers: built by the create_initial_pending_offers task from a campaign's target population and
-- bids, pending until pending_until, then current (activate_pending_offers, cron), claimable while
-- the campaign is in REWARD_CLAIM, expired with their campaign.

-- campaign_offer_stats follows offers: per statement, the net change of each count per campaign.
-- security definer: a visitor's delete (of a campaign, a band, a participant) cascades into
-- offers, and the counters are not the visitor's to write.
create or replace function app_private.tg_offers__count() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  -- Only the transition tables of this TG_OP exist, so the source of the changes is chosen here.
  v_changes text := case TG_OP
    when 'INSERT' then 'select campaign_id, status, cost_amount, 1 as sign from new_rows'
    when 'DELETE' then 'select campaign_id, status, cost_amount, -1 as sign from old_rows'
    else 'select campaign_id, status, cost_amount, 1 as sign from new_rows
          union all select campaign_id, status, cost_amount, -1 from old_rows' end;
begin
  execute format($sql$
    with changes as (%s),
    net as (
      select campaign_id,
             coalesce(sum(sign) filter (where status = 'pending'), 0) as pending,
             coalesce(sum(sign * cost_amount) filter (where status = 'pending'), 0) as pending_spend,
             coalesce(sum(sign) filter (where status = 'current'), 0) as current,
             coalesce(sum(sign) filter (where status = 'claimed'), 0) as claimed,
             coalesce(sum(sign) filter (where status = 'expired'), 0) as expired,
             sum(sign) as reach
        from changes group by campaign_id
    )
    insert into app_public.campaign_offer_stats as s (campaign_id, pending, pending_spend, current, claimed, expired, reach)
    select net.* from net join app_public.campaigns c on c.id = net.campaign_id
    on conflict (campaign_id) do update set
      pending = s.pending + excluded.pending, pending_spend = s.pending_spend + excluded.pending_spend,
      current = s.current + excluded.current, claimed = s.claimed + excluded.claimed,
      expired = s.expired + excluded.expired, reach = s.reach + excluded.reach
  $sql$, v_changes);
  return null;
end;
$$;
comment on function app_private.tg_offers__count() is
  E'Trigger function: keeps campaign_offer_stats equal to the counts of the campaign''s offers.';
create or replace trigger _500_count_after_insert after insert on app_public.offers
  referencing new table as new_rows
  for each statement execute function app_private.tg_offers__count();
create or replace trigger _500_count_after_update after update on app_public.offers
  referencing new table as new_rows old table as old_rows
  for each statement execute function app_private.tg_offers__count();
create or replace trigger _500_count_after_delete after delete on app_public.offers
  referencing old table as old_rows
  for each statement execute function app_private.tg_offers__count();

-- A batch of offers for the next batch_size participants of the campaign's target population
-- (after after_participant_id), with the bid of each one's band; participants of a band without
-- a bid get none, and one who has an offer already keeps it. Only a RUNNING campaign makes offers. Returns the batch's last participant
-- id (null when there was none) and how many offers it inserted.
create or replace function app_private.create_offers_batch(offered_campaign_id uuid, after_participant_id uuid, batch_size integer)
  returns jsonb
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    with batch as (
      select tp.participant_id, tp.band_id
        from app_public.target_populations tp
       where tp.target_id = (select target_id from app_public.campaigns where id = offered_campaign_id and status = 'RUNNING')
         and tp.participant_id > coalesce(after_participant_id, '00000000-0000-0000-0000-000000000000')
       order by tp.participant_id
       limit batch_size
    ),
    inserted as (
      insert into app_public.offers (campaign_id, participant_id, band_id, offer_amount, cost_amount, pending_until)
      select offered_campaign_id, batch.participant_id, batch.band_id, bid.offer_amount, bid.marketer_cost,
             now() + (app_private.setting('offer_pending_seconds', '3600')::text || ' seconds')::interval
        from batch join app_public.bids bid on bid.campaign_id = offered_campaign_id and bid.band_id = batch.band_id
      on conflict (campaign_id, participant_id) do nothing
      returning 1
    )
    select jsonb_build_object(
      'last_participant_id', (select participant_id from batch order by participant_id desc limit 1),
      'inserted', (select count(*) from inserted));
  $$;
comment on function app_private.create_offers_batch(uuid, uuid, integer) is
  E'Creates the pending offers of the next batch of the campaign''s target population; skips those that exist.';

-- The start of create_initial_pending_offers, from a launch at a populated target
-- (enqueue_offers) or from the end of a population (finish_target_population): keyed by campaign,
-- so a second cause while the job is still queued makes no second job.
create or replace function app_private.enqueue_initial_offers(offered_campaign_id uuid) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.add_job('create_initial_pending_offers', json_build_object('campaign_id', offered_campaign_id),
                               job_key => 'create_initial_pending_offers:' || offered_campaign_id);
  $$;
comment on function app_private.enqueue_initial_offers(uuid) is
  E'Enqueues create_initial_pending_offers for a campaign (job key per campaign).';

-- The end of create_initial_pending_offers: one notification for all of its batches.
create or replace function app_private.announce_offers_created(offered_campaign_id uuid, created integer) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.notify_campaign_event(c.id, c.marketer_id, 'offers_created', created)
      from app_public.campaigns c where c.id = offered_campaign_id and created > 0;
  $$;
comment on function app_private.announce_offers_created(uuid, integer) is
  E'Sends offers_created with the count (only when it is above 0) on the campaign''s and its marketer''s channels.';

create or replace function app_private.activate_pending_offers() returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_count integer;
begin
  with activated as (
    update app_public.offers o set status = 'current'
     where o.status = 'pending' and o.pending_until <= now()
       and exists (select 1 from app_public.campaigns c where c.id = o.campaign_id and c.status <> 'EXPIRED')
    returning o.campaign_id
  ),
  campaigns as (select campaign_id, count(*) as n from activated group by campaign_id),
  announced as (
    select app_private.notify_campaign_event(c.id, c.marketer_id, 'campaign_updated'), campaigns.n
      from campaigns join app_public.campaigns c on c.id = campaigns.campaign_id
  )
  select coalesce(sum(n), 0) into v_count from announced;
  return v_count;
end;
$$;
comment on function app_private.activate_pending_offers() is
  E'Makes every pending offer whose pending_until has passed current; announces campaign_updated per campaign. Returns how many.';

-- Expiring a campaign expires its pending offers, in the same transaction.
create or replace function app_private.tg_campaigns__expire_offers() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  update app_public.offers set status = 'expired' where campaign_id = NEW.id and status = 'pending';
  return null;
end;
$$;
comment on function app_private.tg_campaigns__expire_offers() is
  E'Trigger function: a campaign that becomes EXPIRED takes its pending offers with it.';
-- _610: after _600_arrange_timers (430_campaign_lifecycle.sql), the order the two have always
-- fired in (they once shared 600 and Postgres broke the tie by name). Neither reads what the other
-- writes (timers and their jobs; offers and their stats), so no result depends on the order; the
-- lifecycle's own consequences come first and the real-time ones after, as the files do. Every
-- trigger on campaigns, in firing order: sql/TRIGGERS.md. The drop removes the old name from a
-- database that has it.
drop trigger if exists _600_expire_offers on app_public.campaigns;
create or replace trigger _610_expire_offers after update of status on app_public.campaigns
  for each row when (NEW.status = 'EXPIRED' and OLD.status is distinct from 'EXPIRED')
  execute function app_private.tg_campaigns__expire_offers();

-- security definer: participants cannot change offers themselves; this checks it is theirs.
create or replace function app_public.claim_offer(offer_id uuid) returns app_public.offers
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_offer app_public.offers;
  v_campaign app_public.campaigns;
begin
  select o.* into v_offer from app_public.offers o
    join app_public.participants p on p.id = o.participant_id
   where o.id = claim_offer.offer_id and p.user_id = app_public.current_user_id()
   for update of o;
  if not found then
    raise exception 'offer % does not exist or is not yours', offer_id using errcode = 'CE308';
  end if;
  -- for share: the campaign cannot leave REWARD_CLAIM while the claim commits.
  select * into v_campaign from app_public.campaigns where id = v_offer.campaign_id for share;
  -- The participant sees the offer, not the campaign: the message names neither its name nor its status.
  if v_campaign.status <> 'REWARD_CLAIM' then
    raise exception 'offer % cannot be claimed now: rewards are claimed only while the campaign is in REWARD_CLAIM', offer_id
      using errcode = 'CE306';
  end if;
  if v_offer.status <> 'current' then
    raise exception 'offer % cannot be claimed: it is %', offer_id, v_offer.status using errcode = 'CE307';
  end if;
  update app_public.offers o set status = 'claimed', claimed_at = now() where o.id = v_offer.id returning * into v_offer;
  insert into app_public.campaign_metrics (campaign_id, metric_type, value, details)
  values (v_offer.campaign_id, 'REWARD_CLAIMED', v_offer.offer_amount,
          jsonb_build_object('offer_id', v_offer.id, 'participant_id', v_offer.participant_id));
  perform app_private.notify_campaign_event(v_campaign.id, v_campaign.marketer_id, 'campaign_updated');
  return v_offer;
end;
$$;
comment on function app_public.claim_offer(uuid) is
  E'Claims one of your current offers while its campaign is in REWARD_CLAIM; recorded as a REWARD_CLAIMED metric.';
