-- Seeding: a new campaign gets a copy of every content row of the current template version (the
-- master template's content as last published, sql/325_template_versions.sql), in one
-- transaction, with one INSERT … SELECT per table. Images are shared, never copied.
--
-- The id of a copy is derived from (target campaign, source row): copy_id(target, source). Every
-- reference is remapped with the same expression, so prerequisites, factions, junctures,
-- equipped weapons and join rows point at the copy's own rows without joining on names (names
-- repeat: two schticks called "Fortune" in different categories).

-- Not strict, so the planner inlines it (md5 of a null is null anyway): it runs ~2,600 times a seed.
create or replace function app_private.copy_id(target_campaign_id uuid, source_id uuid) returns uuid
  language sql immutable parallel safe
  as $$ select md5(target_campaign_id::text || ':' || source_id::text)::uuid $$;
comment on function app_private.copy_id(uuid, uuid) is
  E'The id of the copy of row source_id in campaign target_campaign_id (null for null).';

-- The master template every campaign is seeded from. Seeding and the pools ask here, so there is
-- one refusal (CE101) for a database whose template was never loaded.
create or replace function app_private.master_template() returns app_public.campaigns
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_template app_public.campaigns;
begin
  select * into v_template from app_public.campaigns where is_master_template;
  if not found then
    raise exception 'there is no master template campaign to seed from'
      using errcode = 'CE101', hint = 'Load it with: npm run template:load';
  end if;
  return v_template;
end;
$$;
comment on function app_private.master_template() is
  E'The master template campaign; raises CE101 when none was loaded.';

-- The copy itself, one INSERT … SELECT per table: seeding copies a published version's content
-- into a new campaign, and publishing copies the master template's into the version's campaign.
create or replace function app_private.copy_content(source_campaign_id uuid, target_campaign_id uuid) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  insert into app_public.factions (id, campaign_id, name, description, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description, image_id, active
  from app_public.factions where campaign_id = source_campaign_id;

  insert into app_public.junctures (id, campaign_id, name, description, faction_id, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description,
         app_private.copy_id(target_campaign_id, faction_id), image_id, active
  from app_public.junctures where campaign_id = source_campaign_id;

  insert into app_public.schticks (id, campaign_id, name, description, category, path, color, bonus, archetypes,
                                   prerequisite_id, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description, category, path, color,
         bonus, archetypes, app_private.copy_id(target_campaign_id, prerequisite_id), image_id, active
  from app_public.schticks where campaign_id = source_campaign_id;

  insert into app_public.weapons (id, campaign_id, name, description, damage, concealment, reload_value, juncture,
                                  mook_bonus, category, kachunk, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description, damage, concealment,
         reload_value, juncture, mook_bonus, category, kachunk, image_id, active
  from app_public.weapons where campaign_id = source_campaign_id;

  insert into app_public.characters (id, campaign_id, name, action_values, skills, description, faction_id,
                                     juncture_id, is_template, equipped_weapon_id, color, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, action_values, skills, description,
         app_private.copy_id(target_campaign_id, faction_id), app_private.copy_id(target_campaign_id, juncture_id),
         is_template, app_private.copy_id(target_campaign_id, equipped_weapon_id), color, image_id, active
  from app_public.characters where campaign_id = source_campaign_id;

  insert into app_public.vehicles (id, campaign_id, name, action_values, faction_id, juncture_id, color, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, action_values,
         app_private.copy_id(target_campaign_id, faction_id), app_private.copy_id(target_campaign_id, juncture_id),
         color, image_id, active
  from app_public.vehicles where campaign_id = source_campaign_id;

  insert into app_public.sites (id, campaign_id, name, description, faction_id, juncture_id, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description,
         app_private.copy_id(target_campaign_id, faction_id), app_private.copy_id(target_campaign_id, juncture_id),
         image_id, active
  from app_public.sites where campaign_id = source_campaign_id;

  insert into app_public.parties (id, campaign_id, name, description, faction_id, juncture_id, image_id, active)
  select app_private.copy_id(target_campaign_id, id), target_campaign_id, name, description,
         app_private.copy_id(target_campaign_id, faction_id), app_private.copy_id(target_campaign_id, juncture_id),
         image_id, active
  from app_public.parties where campaign_id = source_campaign_id;

  insert into app_public.character_schticks (campaign_id, character_id, schtick_id)
  select target_campaign_id, app_private.copy_id(target_campaign_id, character_id),
         app_private.copy_id(target_campaign_id, schtick_id)
  from app_public.character_schticks where campaign_id = source_campaign_id;

  insert into app_public.carries (campaign_id, character_id, weapon_id)
  select target_campaign_id, app_private.copy_id(target_campaign_id, character_id),
         app_private.copy_id(target_campaign_id, weapon_id)
  from app_public.carries where campaign_id = source_campaign_id;

end;
$$;
comment on function app_private.copy_content(uuid, uuid) is
  E'Copies every content row of one campaign into another (which has none), references remapped by copy_id, images shared.';

create or replace function app_private.seed_campaign(target_campaign_id uuid) returns app_public.campaigns
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_started timestamptz := clock_timestamp();
  v_version app_public.template_versions := app_private.current_template_version();
  v_target app_public.campaigns;
begin

  select * into v_target from app_public.campaigns where id = target_campaign_id for update;
  if not found then
    raise exception 'campaign % does not exist', target_campaign_id using errcode = 'CE003';
  end if;
  if v_target.is_master_template then
    raise exception 'campaign % is the master template; it cannot be seeded from itself', target_campaign_id
      using errcode = 'CE103';
  end if;
  if v_target.seeded_at is not null then
    raise exception 'campaign % is already seeded (at %)', target_campaign_id, v_target.seeded_at
      using errcode = 'CE104', hint = 'A campaign is seeded once, when it is created.';
  end if;

  perform app_private.copy_content(v_version.content_campaign_id, target_campaign_id);

  update app_public.campaigns
  set seeded_at = now(),
      template_version = v_version.version,
      seeding_duration_ms = ceil(extract(epoch from clock_timestamp() - v_started) * 1000)
  where id = target_campaign_id
  returning * into v_target;
  return v_target;
end;
$$;
comment on function app_private.seed_campaign(uuid) is
  E'Copies the current template version''s content into a campaign that has none yet, and records the version: all or nothing, images shared.';
