--! Previous: sha1:5916691741100913c1a2b004edf3a766a4d66eed
--! Hash: sha1:cd23ec99e3716c898dcc8b59ac55b527b316cd1b
--! Message: campaign content

-- Campaign content: the game material every campaign gets from the master template, and the
-- images (files on ImageKit) that content rows share.
--
-- Every reference between content rows is a composite foreign key (campaign_id, x_id) →
-- (campaign_id, id): a row can only point at rows of its own campaign, by constraint.

alter table app_public.campaigns
  add column is_master_template boolean not null default false,
  add column seeded_at timestamptz,
  add column seeding_duration_ms integer constraint campaigns_seeding_duration_not_negative check (seeding_duration_ms >= 0);
create unique index campaigns_one_master_template on app_public.campaigns (is_master_template) where is_master_template;
comment on column app_public.campaigns.is_master_template is E'True for the one campaign whose content every new campaign copies.';
comment on column app_public.campaigns.seeded_at is E'When the campaign received its copy of the master template''s content.';
comment on column app_public.campaigns.seeding_duration_ms is E'How long copying the content took, in milliseconds.';

create table app_public.images (
  id uuid primary key default gen_random_uuid(),
  file_id text not null constraint images_file_id_unique unique,
  file_path text not null constraint images_file_path_is_absolute check (file_path like '/%'),
  url text not null,
  width integer constraint images_width_positive check (width > 0),
  height integer constraint images_height_positive check (height > 0),
  content_hash text,
  created_at timestamptz not null default now()
);
comment on table app_public.images is E'One file stored on ImageKit. Content rows share it by image_id; copying a campaign never copies a file.';
comment on column app_public.images.id is E'Unique identifier of the image.';
comment on column app_public.images.file_id is E'ImageKit''s id of the file (used to delete it).';
comment on column app_public.images.file_path is E'Path of the file on ImageKit; transformations and signed URLs are built from it.';
comment on column app_public.images.url is E'The stored URL of the file, served as is when ImageKit is not configured.';
comment on column app_public.images.width is E'Width in pixels, when known.';
comment on column app_public.images.height is E'Height in pixels, when known.';
comment on column app_public.images.content_hash is E'SHA-256 of the file''s bytes, hex.';
comment on column app_public.images.created_at is E'When the file was uploaded.';

create table app_public.factions (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint factions_campaign_row unique (campaign_id, id)
);
comment on table app_public.factions is E'A faction of the game world, fighting for control of the junctures.';

create table app_public.junctures (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  faction_id uuid,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint junctures_campaign_row unique (campaign_id, id),
  constraint junctures_faction_in_campaign foreign key (campaign_id, faction_id)
    references app_public.factions (campaign_id, id) on delete set null (faction_id)
);
comment on table app_public.junctures is E'A period of history (Ancient, Past, Modern, Future…), possibly held by a faction.';
comment on column app_public.junctures.faction_id is E'The faction that holds this juncture, if any.';

create table app_public.schticks (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  category text not null,
  path text,
  color text,
  bonus boolean not null default false,
  archetypes jsonb not null default '[]',
  prerequisite_id uuid,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint schticks_campaign_row unique (campaign_id, id),
  constraint schticks_name_unique_per_category unique (campaign_id, category, name),
  constraint schticks_prerequisite_in_campaign foreign key (campaign_id, prerequisite_id)
    references app_public.schticks (campaign_id, id) on delete set null (prerequisite_id),
  constraint schticks_not_own_prerequisite check (prerequisite_id <> id)
);
create index schticks_prerequisite_idx on app_public.schticks (campaign_id, prerequisite_id);
comment on table app_public.schticks is E'A special ability. The same name can appear in several categories.';
comment on column app_public.schticks.category is E'Category (e.g. Guns, Martial Arts); names are unique within a category.';
comment on column app_public.schticks.path is E'Path within the category; prerequisites chain along a path.';
comment on column app_public.schticks.color is E'Display colour.';
comment on column app_public.schticks.bonus is E'True for a bonus schtick granted by an archetype.';
comment on column app_public.schticks.archetypes is E'Archetypes that may take it (JSON array of names).';
comment on column app_public.schticks.prerequisite_id is E'The schtick a character must have first, in the same campaign.';

create table app_public.weapons (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  damage integer not null constraint weapons_damage_not_negative check (damage >= 0),
  concealment integer,
  reload_value integer,
  juncture text,
  mook_bonus integer not null default 0,
  category text,
  kachunk boolean not null default false,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint weapons_campaign_row unique (campaign_id, id),
  constraint weapons_name_unique unique (campaign_id, name)
);
comment on table app_public.weapons is E'A weapon, with its damage / concealment / reload stats.';
comment on column app_public.weapons.damage is E'Damage value.';
comment on column app_public.weapons.concealment is E'Concealment value (lower hides better).';
comment on column app_public.weapons.reload_value is E'Reload value.';
comment on column app_public.weapons.juncture is E'Juncture the weapon belongs to: Ancient, Past, Modern or Future.';
comment on column app_public.weapons.mook_bonus is E'Bonus against mooks.';
comment on column app_public.weapons.category is E'Kind of weapon (revolvers, shotguns, blades…).';
comment on column app_public.weapons.kachunk is E'True for shotguns that go ka-chunk.';

create table app_public.characters (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  action_values jsonb not null default '{}',
  skills jsonb not null default '{}',
  description jsonb not null default '{}',
  faction_id uuid,
  juncture_id uuid,
  is_template boolean not null default false,
  equipped_weapon_id uuid,
  color text,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint characters_campaign_row unique (campaign_id, id),
  constraint characters_faction_in_campaign foreign key (campaign_id, faction_id)
    references app_public.factions (campaign_id, id) on delete set null (faction_id),
  constraint characters_juncture_in_campaign foreign key (campaign_id, juncture_id)
    references app_public.junctures (campaign_id, id) on delete set null (juncture_id),
  constraint characters_equipped_weapon_in_campaign foreign key (campaign_id, equipped_weapon_id)
    references app_public.weapons (campaign_id, id) on delete set null (equipped_weapon_id)
);
comment on table app_public.characters is E'A character; templates (is_template) are archetypes players start from.';
comment on column app_public.characters.action_values is E'Action values (attack, defense, toughness, fortune…) as JSON.';
comment on column app_public.characters.skills is E'Skills and their values as JSON.';
comment on column app_public.characters.description is E'Descriptive fields (appearance, background…) as JSON.';
comment on column app_public.characters.faction_id is E'The character''s faction, in the same campaign.';
comment on column app_public.characters.juncture_id is E'The character''s juncture, in the same campaign.';
comment on column app_public.characters.is_template is E'True for an archetype template players copy.';
comment on column app_public.characters.equipped_weapon_id is E'The weapon in hand, in the same campaign.';
comment on column app_public.characters.color is E'Display colour.';

create table app_public.vehicles (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  action_values jsonb not null default '{}',
  faction_id uuid,
  juncture_id uuid,
  color text,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vehicles_campaign_row unique (campaign_id, id),
  constraint vehicles_faction_in_campaign foreign key (campaign_id, faction_id)
    references app_public.factions (campaign_id, id) on delete set null (faction_id),
  constraint vehicles_juncture_in_campaign foreign key (campaign_id, juncture_id)
    references app_public.junctures (campaign_id, id) on delete set null (juncture_id)
);
comment on table app_public.vehicles is E'A vehicle for chases.';
comment on column app_public.vehicles.action_values is E'Vehicle stats (acceleration, handling, frame…) as JSON.';
comment on column app_public.vehicles.faction_id is E'The vehicle''s faction, in the same campaign.';
comment on column app_public.vehicles.juncture_id is E'The vehicle''s juncture, in the same campaign.';
comment on column app_public.vehicles.color is E'Display colour.';

create table app_public.sites (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  faction_id uuid,
  juncture_id uuid,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sites_campaign_row unique (campaign_id, id),
  constraint sites_name_unique unique (campaign_id, name),
  constraint sites_faction_in_campaign foreign key (campaign_id, faction_id)
    references app_public.factions (campaign_id, id) on delete set null (faction_id),
  constraint sites_juncture_in_campaign foreign key (campaign_id, juncture_id)
    references app_public.junctures (campaign_id, id) on delete set null (juncture_id)
);
comment on table app_public.sites is E'A feng shui site: a place of power.';
comment on column app_public.sites.faction_id is E'The faction that holds the site, in the same campaign.';
comment on column app_public.sites.juncture_id is E'The site''s juncture, in the same campaign.';

create table app_public.parties (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  name text not null,
  description text not null default '',
  faction_id uuid,
  juncture_id uuid,
  image_id uuid references app_public.images on delete restrict,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint parties_campaign_row unique (campaign_id, id),
  constraint parties_faction_in_campaign foreign key (campaign_id, faction_id)
    references app_public.factions (campaign_id, id) on delete set null (faction_id),
  constraint parties_juncture_in_campaign foreign key (campaign_id, juncture_id)
    references app_public.junctures (campaign_id, id) on delete set null (juncture_id)
);
comment on table app_public.parties is E'A group of characters travelling together.';
comment on column app_public.parties.faction_id is E'The party''s faction, in the same campaign.';
comment on column app_public.parties.juncture_id is E'The party''s juncture, in the same campaign.';

create table app_public.character_schticks (
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  character_id uuid not null,
  schtick_id uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (campaign_id, character_id, schtick_id),
  constraint character_schticks_character_in_campaign foreign key (campaign_id, character_id)
    references app_public.characters (campaign_id, id) on delete cascade,
  constraint character_schticks_schtick_in_campaign foreign key (campaign_id, schtick_id)
    references app_public.schticks (campaign_id, id) on delete cascade
);
create index character_schticks_schtick_idx on app_public.character_schticks (campaign_id, schtick_id);
comment on table app_public.character_schticks is E'A schtick a character has.';
comment on column app_public.character_schticks.character_id is E'The character.';
comment on column app_public.character_schticks.schtick_id is E'The schtick, in the same campaign.';

create table app_public.carries (
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  character_id uuid not null,
  weapon_id uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (campaign_id, character_id, weapon_id),
  constraint carries_character_in_campaign foreign key (campaign_id, character_id)
    references app_public.characters (campaign_id, id) on delete cascade,
  constraint carries_weapon_in_campaign foreign key (campaign_id, weapon_id)
    references app_public.weapons (campaign_id, id) on delete cascade
);
create index carries_weapon_idx on app_public.carries (campaign_id, weapon_id);
comment on table app_public.carries is E'A weapon a character carries.';
comment on column app_public.carries.character_id is E'The character.';
comment on column app_public.carries.weapon_id is E'The weapon, in the same campaign.';

-- What every content table shares, indexed and documented once.
do $$
declare
  v_table text;
begin
  foreach v_table in array array['factions', 'junctures', 'schticks', 'weapons', 'characters', 'vehicles', 'sites', 'parties'] loop
    execute format('create index %I on app_public.%I (image_id)', v_table || '_image_idx', v_table);
    execute format('comment on column app_public.%I.id is %L', v_table, 'Unique identifier.');
    execute format('comment on column app_public.%I.name is %L', v_table, 'Name.');
    execute format('comment on column app_public.%I.image_id is %L', v_table, 'The image shown with it; shared with the template and other campaigns until replaced.');
    execute format('comment on column app_public.%I.active is %L', v_table, 'False hides it from play without deleting it.');
  end loop;
  foreach v_table in array array['factions', 'junctures', 'schticks', 'weapons', 'characters', 'vehicles', 'sites', 'parties', 'character_schticks', 'carries'] loop
    execute format('comment on column app_public.%I.campaign_id is %L', v_table, 'The campaign it belongs to.');
    execute format('comment on column app_public.%I.created_at is %L', v_table, 'When it was created.');
    execute format('comment on column app_public.%I.updated_at is %L', v_table, 'When it was last changed.');
  end loop;
  foreach v_table in array array['factions', 'junctures', 'schticks', 'weapons', 'sites', 'parties'] loop
    execute format('comment on column app_public.%I.description is %L', v_table, 'Description shown to players.');
  end loop;
end
$$;
