-- The list of content tables, in one place: the tables whose rows a campaign gets from the master
-- template. Security, timestamps and image tracking loop over it; the seeder names each table
-- because each one remaps different references.

create or replace function app_private.content_tables() returns text[]
  language sql immutable
  as $$
    select array['factions', 'junctures', 'schticks', 'weapons', 'characters', 'vehicles',
                 'sites', 'parties', 'character_schticks', 'carries']
  $$;
comment on function app_private.content_tables() is
  E'Names of the app_public tables that hold campaign content (seeded from the master template).';

create or replace function app_private.image_tables() returns text[]
  language sql immutable
  as $$
    select array['factions', 'junctures', 'schticks', 'weapons', 'characters', 'vehicles', 'sites', 'parties']
  $$;
comment on function app_private.image_tables() is
  E'Names of the content tables whose rows have an image_id.';
