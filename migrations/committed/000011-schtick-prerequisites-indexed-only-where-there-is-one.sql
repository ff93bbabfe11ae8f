--! Previous: sha1:55a029f88b25736efddbfe4302adbd88967da59f
--! Hash: sha1:28c735a163e60e6babe60623f436d6954aabc32c
--! Message: schtick prerequisites indexed only where there is one

-- A schtick's prerequisite is indexed only where it has one (about 130 of 643 rows): the index is
-- there for the foreign key's on-delete lookups (`campaign_id = … and prerequisite_id = …`, which
-- implies a prerequisite), and lists of a campaign's schticks use schticks_campaign_row. Four in
-- five entries were nulls that every seeded campaign stored.
drop index app_public.schticks_prerequisite_idx;
create index schticks_prerequisite_idx on app_public.schticks (campaign_id, prerequisite_id) where prerequisite_id is not null;
