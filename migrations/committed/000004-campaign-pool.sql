--! Previous: sha1:e12f1bb3a61903697ae5423d19399372d617d2ad
--! Hash: sha1:7ec256aa19407941e2af5c77f10015fe30a0e20d
--! Message: campaign pool

-- Campaign pool: campaigns seeded ahead of time, handed over by app_public.create_campaign.

create type app_public.pool_type as enum ('master', 'user');
comment on type app_public.pool_type is
  E'Which pool a pool campaign was made for: the master pool (any user) or one user''s own pool.';

alter table app_public.campaigns
  add column is_pool boolean not null default false,
  add column pool_type app_public.pool_type,
  add column pool_created_at timestamptz not null default now(),
  add column activated_at timestamptz,
  add constraint campaigns_pool_has_type check (not is_pool or pool_type is not null);
-- Campaigns made before pools were really created at created_at (no trigger: nothing changed).
alter table app_public.campaigns disable trigger user;
update app_public.campaigns set pool_created_at = created_at;
alter table app_public.campaigns enable trigger user;
comment on column app_public.campaigns.is_pool is E'True while the campaign waits in a pool for its user.';
comment on column app_public.campaigns.pool_type is
  E'The pool the campaign was made for; kept after assignment, so it tells where a campaign came from (null: created inline).';
comment on column app_public.campaigns.pool_created_at is
  E'When the campaign was really created (created_at is reset when a pool campaign is handed over); never changes.';
comment on column app_public.campaigns.activated_at is E'When the campaign was handed to its user.';

create index campaigns_is_pool_user_id_idx on app_public.campaigns (is_pool, user_id);
create index campaigns_is_pool_activated_at_idx on app_public.campaigns (is_pool, activated_at);
create index campaigns_pool_type_idx on app_public.campaigns (pool_type);
-- The queue create_campaign claims from: small, because it holds only campaigns still in a pool.
create index campaigns_pool_queue_idx on app_public.campaigns (pool_type, user_id, pool_created_at) where is_pool;
create unique index campaigns_one_user_pool_per_user on app_public.campaigns (user_id) where is_pool and pool_type = 'user';

-- Assignment rewrites every content row's timestamps. With more than half of each page free, every
-- new row version fits beside the old one: a HOT update, which touches no index (measured on 643
-- schticks: ~2 ms, against ~10 ms at fillfactor 60, where only part of the rows fit). It costs
-- about twice the disk space for content, which is small.
alter table app_public.factions set (fillfactor = 45);
alter table app_public.junctures set (fillfactor = 45);
alter table app_public.schticks set (fillfactor = 45);
alter table app_public.weapons set (fillfactor = 45);
alter table app_public.characters set (fillfactor = 45);
alter table app_public.vehicles set (fillfactor = 45);
alter table app_public.sites set (fillfactor = 45);
alter table app_public.parties set (fillfactor = 45);
alter table app_public.character_schticks set (fillfactor = 45);
alter table app_public.carries set (fillfactor = 45);

create type app_public.campaign_source as enum ('master', 'user', 'inline');
comment on type app_public.campaign_source is
  E'Where a created campaign came from: the master pool, the user''s own pool, or seeded inline.';

create table app_public.pool_assignments (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid references app_public.campaigns on delete set null,
  user_id uuid references app_public.users on delete set null,
  source app_public.campaign_source not null,
  pool_created_at timestamptz not null,
  pool_age interval not null,
  assignment_ms numeric not null,
  assigned_at timestamptz not null default now()
);
create index pool_assignments_campaign_id_idx on app_public.pool_assignments (campaign_id);
create index pool_assignments_user_id_assigned_at_idx on app_public.pool_assignments (user_id, assigned_at);
create index pool_assignments_assigned_at_idx on app_public.pool_assignments (assigned_at);
comment on table app_public.pool_assignments is E'One row per created campaign: who got it, from which pool, how old it was and how long the hand-over took. Admins only.';
comment on column app_public.pool_assignments.id is E'Unique identifier of the assignment.';
comment on column app_public.pool_assignments.campaign_id is E'The campaign handed over.';
comment on column app_public.pool_assignments.user_id is E'Who created it.';
comment on column app_public.pool_assignments.source is E'master or user pool, or inline when no pool campaign was ready.';
comment on column app_public.pool_assignments.pool_created_at is E'When the campaign was really created.';
comment on column app_public.pool_assignments.pool_age is E'How long it waited in the pool (zero when inline).';
comment on column app_public.pool_assignments.assignment_ms is E'How long create_campaign took in the database, in milliseconds.';
comment on column app_public.pool_assignments.assigned_at is E'When it was handed over.';

create table app_public.pool_metrics (
  id bigint primary key generated always as identity,
  recorded_at timestamptz not null default now(),
  master_ready integer not null,
  master_target integer not null,
  user_pools integer not null,
  assignments_today integer not null,
  pool_hits_today integer not null,
  replenishments_today integer not null,
  avg_seeding_ms numeric,
  avg_assignment_ms numeric
);
create index pool_metrics_recorded_at_idx on app_public.pool_metrics (recorded_at);
comment on table app_public.pool_metrics is E'A snapshot of pool health, recorded every minute by the pool monitor. Admins only.';
comment on column app_public.pool_metrics.id is E'Order of recording.';
comment on column app_public.pool_metrics.recorded_at is E'When the snapshot was taken.';
comment on column app_public.pool_metrics.master_ready is E'Campaigns ready in the master pool.';
comment on column app_public.pool_metrics.master_target is E'The master pool''s target size then.';
comment on column app_public.pool_metrics.user_pools is E'Users with a campaign ready in their own pool.';
comment on column app_public.pool_metrics.assignments_today is E'Campaigns created since midnight UTC.';
comment on column app_public.pool_metrics.pool_hits_today is E'Of those, how many came from a pool.';
comment on column app_public.pool_metrics.replenishments_today is E'Pool campaigns created since midnight UTC.';
comment on column app_public.pool_metrics.avg_seeding_ms is E'Average seeding time of today''s pool campaigns.';
comment on column app_public.pool_metrics.avg_assignment_ms is E'Average create_campaign time today.';
