--! Previous: sha1:28c735a163e60e6babe60623f436d6954aabc32c
--! Hash: sha1:67831a7a2865083979362290c0336453c3f50a8d
--! Message: template versions

-- Template versions: the master template's content is published as numbered versions, each a
-- frozen copy of the content in a campaign of its own (is_template_version), which is what new
-- campaigns are seeded from; every campaign records the version it was seeded from. Editing the
-- master template changes nothing for new campaigns until the next publish.
alter table app_public.campaigns add column is_template_version boolean not null default false;
comment on column app_public.campaigns.is_template_version is
  E'A published version''s frozen copy of the master template''s content (template_versions), seeded from; never anyone''s campaign.';

create table app_public.template_versions (
  version integer primary key constraint template_versions_version_positive check (version > 0),
  published_at timestamptz not null default now(),
  published_by uuid references app_public.users (id) on delete set null,
  note text not null default '' constraint template_versions_note_length check (char_length(note) <= 1000),
  row_counts jsonb not null,
  content_fingerprint text not null,
  content_campaign_id uuid not null unique references app_public.campaigns (id) on delete restrict
);
comment on table app_public.template_versions is E'The published versions of the master template''s content, numbered from 1.';
comment on column app_public.template_versions.version is E'The version''s number: 1, 2, …';
comment on column app_public.template_versions.published_at is E'When it was published.';
comment on column app_public.template_versions.published_by is E'The admin who published it (none for an operator''s psql session or the first load).';
comment on column app_public.template_versions.note is E'What changed, as the publisher put it.';
comment on column app_public.template_versions.row_counts is E'How many rows of each content table the version has.';
comment on column app_public.template_versions.content_fingerprint is E'A hash of the master template''s content when it was published: equal to the current one when nothing changed since.';
comment on column app_public.template_versions.content_campaign_id is E'The campaign that holds the version''s frozen content.';

alter table app_public.campaigns add column template_version integer
  references app_public.template_versions (version) on delete restrict;
comment on column app_public.campaigns.template_version is
  E'The template version the campaign was seeded from (none: seeded before versions, or the master template itself).';
create index campaigns_template_version_idx on app_public.campaigns (template_version) where is_pool;
