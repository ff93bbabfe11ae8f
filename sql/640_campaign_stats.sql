-- Campaign stats, cheap enough to re-read on every event: the counters (campaign_offer_stats, and
-- target_bands.population) are kept by triggers, so a campaign's stats are a few row reads.
-- Security invoker: row-level security decides what the caller sees.

-- The stats of many campaigns in one statement: row-level security then asks its rules once for
-- the whole list, not once per campaign (a list of 100 read 100 times cost three times as much).
create or replace function app_public.campaigns_stats(campaign_ids uuid[]) returns table (campaign_id uuid, stats jsonb)
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select c.id, jsonb_build_object(
      'campaign_id', c.id,
      'bands', coalesce((
        select jsonb_agg(jsonb_build_object('band_id', b.id, 'name', b.name, 'position', b.position, 'population', b.population,
                                            'offer_amount', bid.offer_amount, 'marketer_cost', bid.marketer_cost) order by b.position)
          from app_public.target_bands b
          left join app_public.bids bid on bid.campaign_id = c.id and bid.band_id = b.id
         where b.target_id = c.target_id), '[]'),
      'population', coalesce((select sum(population) from app_public.target_bands b where b.target_id = c.target_id), 0),
      'pending_offers', coalesce(s.pending, 0),
      'pending_spend', coalesce(s.pending_spend, 0),
      'current_offers', coalesce(s.current, 0),
      'claimed_rewards', coalesce(s.claimed, 0),
      'expired_offers', coalesce(s.expired, 0),
      'unique_reach', coalesce(s.reach, 0))
    from app_public.campaigns c
    left join app_public.campaign_offer_stats s on s.campaign_id = c.id
    where c.id = any(campaigns_stats.campaign_ids)
  $$;
comment on function app_public.campaigns_stats(uuid[]) is
  E'@behavior -*\nThe stats of each of these campaigns you may see, as campaign_stats gives them one at a time.';

create or replace function app_public.campaign_stats(campaign_id uuid) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$ select stats from app_public.campaigns_stats(array[campaign_stats.campaign_id]) $$;
comment on function app_public.campaign_stats(uuid) is
  E'A campaign''s stats: population per band of its target (with the bids), pending offers and their cost, current offers, claimed rewards, unique reach.';

create or replace function app_public.marketer_campaigns(marketer_id uuid) returns jsonb
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    with listed as (
      select c.* from app_public.campaigns c where c.marketer_id = marketer_campaigns.marketer_id and not c.is_pool
    )
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', c.id, 'name', c.name, 'status', c.status, 'launched_at', c.launched_at, 'created_at', c.created_at,
             'target', case when t.id is not null then jsonb_build_object(
               'id', t.id, 'name', t.name, 'population_status', t.population_status, 'last_populated_at', t.last_populated_at) end,
             'stats', st.stats) order by c.created_at desc, c.id), '[]')
      from listed c
      left join app_public.targets t on t.id = c.target_id
      left join app_public.campaigns_stats((select array_agg(id) from listed)) st on st.campaign_id = c.id
  $$;
comment on function app_public.marketer_campaigns(uuid) is
  E'Every campaign of a marketer you may see, newest first, with its status, target and stats: what the campaigns manager shows.';
