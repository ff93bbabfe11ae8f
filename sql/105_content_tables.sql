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

-- A content table has images when it has an image_id column: the catalogue says so, as it says to
-- the API (src/graphql/images.ts finds the same column in the introspected schema).
create or replace function app_private.image_tables() returns text[]
  language sql stable
  as $$
    select array_agg(content.name order by content.position)
      from unnest(app_private.content_tables()) with ordinality as content(name, position)
     where exists (select 1 from pg_catalog.pg_attribute a
                    where a.attrelid = pg_catalog.to_regclass('app_public.' || pg_catalog.quote_ident(content.name))
                      and a.attname = 'image_id' and not a.attisdropped)
  $$;
comment on function app_private.image_tables() is
  E'Names of the content tables whose rows have an image (an image_id column).';
