-- Targets and their bands, bids, and the rules that tie them to campaigns. Populations are
-- computed by the populate_target task (sql/610_populate_target.sql).

-- An inner band is stricter: it requires every tag of each band outside it.
create or replace function app_private.tg_target_bands__inner_is_stricter() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_band app_public.target_bands;
begin
  for v_band in
    select * from app_public.target_bands b
     where b.target_id = NEW.target_id
       and exists (select 1 from app_public.target_bands outer_band
                    where outer_band.target_id = b.target_id and outer_band.position > b.position
                      and not b.required_tags @> outer_band.required_tags)
     limit 1
  loop
    raise exception 'band "%" (position %) must require every tag of the bands outside it', v_band.name, v_band.position
      using errcode = 'CE309', hint = 'Position 0 is the bullseye; each ring outward requires a subset of the tags of the ring inside it.';
  end loop;
  return null;
end;
$$;
comment on function app_private.tg_target_bands__inner_is_stricter() is
  E'Trigger function: refuses bands whose required tags do not include those of every band outside them.';
-- Row-level (after the statement's rows are all in), so a whole target can be inserted at once.
create or replace trigger _500_inner_is_stricter after insert or update of position, required_tags on app_public.target_bands
  for each row execute function app_private.tg_target_bands__inner_is_stricter();

-- A campaign is launched at a target of its own marketer; a bid is for a band of that target.
create or replace function app_private.tg_campaigns__target_of_marketer() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if NEW.target_id is not null and not exists (
    select 1 from app_public.targets t where t.id = NEW.target_id and t.marketer_id is not distinct from NEW.marketer_id
  ) then
    raise exception 'the target of campaign "%" must belong to the campaign''s marketer', NEW.name using errcode = 'CE310';
  end if;
  return NEW;
end;
$$;
comment on function app_private.tg_campaigns__target_of_marketer() is
  E'Trigger function: refuses a campaign target that belongs to another marketer (or to a campaign without one).';
create or replace trigger _210_target_of_marketer before insert or update of target_id, marketer_id on app_public.campaigns
  for each row when (NEW.target_id is not null)
  execute function app_private.tg_campaigns__target_of_marketer();

-- "Not yours" comes first: whoever may not bid on the campaign (the rule for launching it) learns
-- nothing about its target. security definer: the target's bands are then read whole, and the
-- visitor may not call app_private itself.
create or replace function app_private.tg_bids__band_of_campaign_target() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.assert_may_launch_campaign(NEW.campaign_id);
  if not exists (
    select 1 from app_public.campaigns c join app_public.target_bands b on b.target_id = c.target_id
     where c.id = NEW.campaign_id and b.id = NEW.band_id
  ) then
    raise exception 'band % is not a band of the target of campaign %', NEW.band_id, NEW.campaign_id
      using errcode = 'CE311', hint = 'Set the campaign''s target first, then bid on its bands.';
  end if;
  return NEW;
end;
$$;
comment on function app_private.tg_bids__band_of_campaign_target() is
  E'Trigger function: refuses a bid on a campaign the user may not launch (CE003), then one on a band that is not in the campaign''s target (CE311).';
create or replace trigger _200_band_of_campaign_target before insert or update of campaign_id, band_id on app_public.bids
  for each row execute function app_private.tg_bids__band_of_campaign_target();

-- target_bands.population follows target_populations: per statement, the net change per band.
-- security definer: see tg_offers__count (a visitor's delete of a participant cascades here).
create or replace function app_private.tg_target_populations__count_bands() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if TG_OP in ('INSERT', 'UPDATE') then
    update app_public.target_bands b set population = b.population + added.n
      from (select band_id, count(*) as n from new_rows group by band_id) as added
     where b.id = added.band_id;
  end if;
  if TG_OP in ('DELETE', 'UPDATE') then
    update app_public.target_bands b set population = b.population - removed.n
      from (select band_id, count(*) as n from old_rows group by band_id) as removed
     where b.id = removed.band_id;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_target_populations__count_bands() is
  E'Trigger function: keeps target_bands.population equal to the band''s rows in target_populations.';
create or replace trigger _500_count_bands_after_insert after insert on app_public.target_populations
  referencing new table as new_rows
  for each statement execute function app_private.tg_target_populations__count_bands();
create or replace trigger _500_count_bands_after_update after update on app_public.target_populations
  referencing new table as new_rows old table as old_rows
  for each statement execute function app_private.tg_target_populations__count_bands();
create or replace trigger _500_count_bands_after_delete after delete on app_public.target_populations
  referencing old table as old_rows
  for each statement execute function app_private.tg_target_populations__count_bands();

-- A target whose bands change must be populated again before it is trusted: launching or
-- refreshing then repopulates it. (security definer: members edit bands, but the population
-- status is not theirs to write.)
create or replace function app_private.tg_target_bands__target_needs_population() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  update app_public.targets set population_status = 'not_populated'
   where id = coalesce(NEW.target_id, OLD.target_id) and population_status = 'populated';
  return null;
end;
$$;
comment on function app_private.tg_target_bands__target_needs_population() is
  E'Trigger function: a band added, removed or changed marks its target not_populated.';
create or replace trigger _600_target_needs_population after insert or delete or update of position, required_tags on app_public.target_bands
  for each row execute function app_private.tg_target_bands__target_needs_population();

-- Its bids and offers were made for that target.
create or replace function app_private.tg_campaigns__keep_launched_target() returns trigger
  language plpgsql volatile
  as $$
begin
  raise exception 'campaign "%" was launched at its target; the target cannot change now', NEW.name using errcode = 'CE312';
end;
$$;
comment on function app_private.tg_campaigns__keep_launched_target() is
  E'Trigger function: refuses a new target for a launched campaign.';
create or replace trigger _211_keep_launched_target before update of target_id on app_public.campaigns
  for each row when (OLD.launched_at is not null and NEW.target_id is distinct from OLD.target_id)
  execute function app_private.tg_campaigns__keep_launched_target();
