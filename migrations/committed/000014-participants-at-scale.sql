--! Previous: sha1:d6bfb221f4051dfa00394da079b75940a26ce916
--! Hash: sha1:44fd60dec09c544e12519ce940ecf2883c251523
--! Message: participants at scale

-- Participants at scale: a unique external_id (the id in the marketer's own systems, by which an
-- import finds them again), and one rule for tags on every path (imports, the API, psql).
alter table app_public.participants
  add column external_id text
    constraint participants_external_id_unique unique
    constraint participants_external_id_within_limits check (not app_private.is_blank(external_id) and char_length(external_id) <= 200);
comment on column app_public.participants.external_id is E'The participant''s id in the marketer''s own systems: imports find participants by it. Unique, at most 200 characters.';

-- security definer: the constraint runs it as the visitor, who may not name app_private objects
-- (as its body does).
create function app_private.tags_are_valid(tags text[]) returns boolean
  language sql immutable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(cardinality(tags), 0) <= 50
       and not exists (select 1 from unnest(tags) as tag where tag is null or app_private.is_blank(tag) or char_length(tag) > 100)
  $$;
comment on function app_private.tags_are_valid(text[]) is
  E'At most 50 tags, none blank or over 100 characters.';

alter table app_public.participants
  add constraint participants_tags_valid check (app_private.tags_are_valid(tags));

-- A row of a participant import (importParticipants): its external_id, its tags, and optionally
-- the email of the user who is this participant.
create type app_public.participant_row as (external_id text, tags text[], email text);
comment on type app_public.participant_row is E'A participant to import: external_id, tags, and optionally the email of the user who is this participant.';
