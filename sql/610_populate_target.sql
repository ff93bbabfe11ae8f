-- Populating a target: each participant goes in the innermost band whose tags they all have.
-- The populate_target task walks the participants in batches (by id), each batch one transaction
-- that applies only the difference: new matches inserted, lost ones deleted, moved ones updated.
-- Running it again changes nothing. A participant deleted meanwhile leaves by the foreign key.

create or replace function app_private.innermost_band(target_id uuid, tags text[]) returns uuid
  language sql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select b.id from app_public.target_bands b
     where b.target_id = innermost_band.target_id and innermost_band.tags @> b.required_tags
     order by b.position limit 1
  $$;
comment on function app_private.innermost_band(uuid, text[]) is
  E'The innermost band of the target that a participant with these tags is in; null when none.';

create or replace function app_private.start_target_population(populated_target_id uuid) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    update app_public.targets set population_status = 'populating'
     where id = populated_target_id and population_status <> 'populating';
  $$;
comment on function app_private.start_target_population(uuid) is
  E'Marks a target populating; the offers that wait for it are enqueued when populate_target has finished.';

-- Returns the last participant id of the batch (null when there was none) and what changed.
create or replace function app_private.populate_target_batch(populated_target_id uuid, after_participant_id uuid, batch_size integer)
  returns jsonb
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    with batch as (
      select p.id, app_private.innermost_band(populated_target_id, p.tags) as band_id
        from app_public.participants p
       where p.id > coalesce(after_participant_id, '00000000-0000-0000-0000-000000000000')
       order by p.id
       limit batch_size
    ),
    removed as (
      delete from app_public.target_populations tp
       using batch
       where tp.target_id = populated_target_id and tp.participant_id = batch.id and batch.band_id is null
      returning 1
    ),
    upserted as (
      insert into app_public.target_populations (target_id, participant_id, band_id)
      select populated_target_id, batch.id, batch.band_id from batch where batch.band_id is not null
      on conflict (target_id, participant_id) do update set band_id = excluded.band_id
        where target_populations.band_id <> excluded.band_id
      returning (xmax = 0) as inserted
    )
    select jsonb_build_object(
      'last_participant_id', (select id from batch order by id desc limit 1),
      'inserted', (select count(*) from upserted where inserted),
      'moved', (select count(*) from upserted where not inserted),
      'deleted', (select count(*) from removed));
  $$;
comment on function app_private.populate_target_batch(uuid, uuid, integer) is
  E'Applies the population difference for the next batch_size participants after after_participant_id.';

-- Announced to every campaign at the target, on its channel and its marketer's. The running
-- campaigns whose launch or refresh asked for this population (the populate_target job carries
-- them) get their offers job now, the population being what their offers are made from; so do
-- those launched that have no offer yet, whose ask a population job could have lost (a job that
-- fails after a newer one took its key is not retried). The others keep their offers as they are
-- until they refresh them. The update comes first: its lock on the target's row is the one
-- enqueue_offers (sql/630_launch_campaign.sql) reads the status under, so a launch committing
-- meanwhile is served by this population or the next.
drop function if exists app_private.finish_target_population(uuid);
create or replace function app_private.finish_target_population(populated_target_id uuid, offered_campaign_ids uuid[] default '{}')
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_population integer;
begin
  update app_public.targets set population_status = 'populated', last_populated_at = now()
   where id = populated_target_id;
  select coalesce(sum(population), 0) into v_population from app_public.target_bands where target_id = populated_target_id;
  perform app_private.notify_campaign_event(c.id, c.marketer_id, 'target_populated', v_population)
     from app_public.campaigns c where c.target_id = populated_target_id;
  perform app_private.enqueue_initial_offers(c.id)
     from app_public.campaigns c
    where c.target_id = populated_target_id and c.status = 'RUNNING'
      and (c.id = any(offered_campaign_ids)
           or (c.launched_at is not null and not exists (select 1 from app_public.offers o where o.campaign_id = c.id)));
  return v_population;
end;
$$;
comment on function app_private.finish_target_population(uuid, uuid[]) is
  E'Marks a target populated, sends target_populated (with the population) for each of its campaigns, and enqueues the offers of its running campaigns that are given or launched without an offer yet.';
