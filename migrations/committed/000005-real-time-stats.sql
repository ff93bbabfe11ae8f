--! Previous: sha1:7ec256aa19407941e2af5c77f10015fe30a0e20d
--! Hash: sha1:4a8a80f10969c83478ec788f2c2cd6dc407744a5
--! Message: real-time stats

-- Real-time stats: the audience (participants), targets with a bullseye band and outer rings,
-- their populations, bids per band, offers, and per-campaign offer counters for cheap stats.

create table app_public.participants (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references app_public.users on delete set null,
  name text not null constraint participants_name_not_blank check (btrim(name) <> ''),
  tags text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index participants_tags_idx on app_public.participants using gin (tags);
create unique index participants_one_per_user on app_public.participants (user_id) where user_id is not null;
comment on table app_public.participants is E'A person campaigns can reach, described by tags. Admins and the person (through their user) see it.';
comment on column app_public.participants.id is E'Unique identifier of the participant.';
comment on column app_public.participants.user_id is E'The user who is this participant, if any: they claim its offers.';
comment on column app_public.participants.name is E'Name of the participant.';
comment on column app_public.participants.tags is E'What is known about the participant; target bands select by them.';
comment on column app_public.participants.created_at is E'When the participant was added.';
comment on column app_public.participants.updated_at is E'When the participant was last changed.';

create type app_public.population_status as enum ('not_populated', 'populating', 'populated');
comment on type app_public.population_status is E'Whether a target''s population is computed.';

create table app_public.targets (
  id uuid primary key default gen_random_uuid(),
  marketer_id uuid not null references app_public.marketers on delete cascade,
  name text not null constraint targets_name_not_blank check (btrim(name) <> ''),
  population_status app_public.population_status not null default 'not_populated',
  last_populated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint targets_name_unique unique (marketer_id, name)
);
comment on table app_public.targets is E'An audience a marketer launches campaigns at: a bullseye band and outer rings of required tags.';
comment on column app_public.targets.id is E'Unique identifier of the target.';
comment on column app_public.targets.marketer_id is E'The marketer whose target this is.';
comment on column app_public.targets.name is E'Name of the target, unique per marketer.';
comment on column app_public.targets.population_status is E'not_populated, populating (a populate_target job is computing it) or populated.';
comment on column app_public.targets.last_populated_at is E'When the population was last computed.';
comment on column app_public.targets.created_at is E'When the target was created.';
comment on column app_public.targets.updated_at is E'When the target was last changed.';

create table app_public.target_bands (
  id uuid primary key default gen_random_uuid(),
  target_id uuid not null references app_public.targets on delete cascade,
  position integer not null constraint target_bands_position_not_negative check (position >= 0),
  name text not null constraint target_bands_name_not_blank check (btrim(name) <> ''),
  required_tags text[] not null constraint target_bands_tags_required check (cardinality(required_tags) > 0),
  population integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint target_bands_position_unique unique (target_id, position),
  constraint target_bands_id_in_target unique (target_id, id)
);
comment on table app_public.target_bands is E'One band of a target: position 0 is the bullseye, higher positions are outer rings; an inner band requires every tag of the bands outside it.';
comment on column app_public.target_bands.id is E'Unique identifier of the band.';
comment on column app_public.target_bands.target_id is E'The target.';
comment on column app_public.target_bands.position is E'0 for the bullseye, 1 for the first ring outside it, and so on.';
comment on column app_public.target_bands.name is E'Name of the band.';
comment on column app_public.target_bands.required_tags is E'Tags a participant must all have to be in this band (or a band inside it).';
comment on column app_public.target_bands.population is E'Participants whose innermost band this is (kept by a trigger on target_populations).';
comment on column app_public.target_bands.created_at is E'When the band was created.';
comment on column app_public.target_bands.updated_at is E'When the band was last changed.';

create table app_public.target_populations (
  target_id uuid not null,
  participant_id uuid not null references app_public.participants on delete cascade,
  band_id uuid not null,
  primary key (target_id, participant_id),
  foreign key (target_id, band_id) references app_public.target_bands (target_id, id) on delete cascade
);
create index target_populations_band_id_idx on app_public.target_populations (band_id);
create index target_populations_participant_id_idx on app_public.target_populations (participant_id);
comment on table app_public.target_populations is E'Each participant a target reaches, in the innermost band they match. Written by populate_target.';
comment on column app_public.target_populations.target_id is E'The target.';
comment on column app_public.target_populations.participant_id is E'The participant.';
comment on column app_public.target_populations.band_id is E'The innermost band of the target the participant matches.';

alter table app_public.campaigns
  add column target_id uuid references app_public.targets on delete restrict,
  add column launched_at timestamptz;
create index campaigns_target_id_idx on app_public.campaigns (target_id);
comment on column app_public.campaigns.target_id is E'The target the campaign is launched at.';
comment on column app_public.campaigns.launched_at is E'When the campaign was launched (launch_campaign).';

create table app_public.bids (
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  band_id uuid not null references app_public.target_bands on delete cascade,
  offer_amount numeric(12, 2) not null constraint bids_offer_amount_not_negative check (offer_amount >= 0),
  marketer_cost numeric(12, 2) not null constraint bids_marketer_cost_not_negative check (marketer_cost >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (campaign_id, band_id)
);
create index bids_band_id_idx on app_public.bids (band_id);
comment on table app_public.bids is E'What a campaign offers the participants of one band of its target, and what each offer costs the marketer.';
comment on column app_public.bids.campaign_id is E'The campaign.';
comment on column app_public.bids.band_id is E'The band of the campaign''s target.';
comment on column app_public.bids.offer_amount is E'The reward offered to each participant of the band.';
comment on column app_public.bids.marketer_cost is E'What each offer costs the marketer.';
comment on column app_public.bids.created_at is E'When the bid was made.';
comment on column app_public.bids.updated_at is E'When the bid was last changed.';

create type app_public.offer_status as enum ('pending', 'current', 'claimed', 'expired');
comment on type app_public.offer_status is E'pending until pending_until, then current (claimable in REWARD_CLAIM), claimed, or expired with its campaign.';

create table app_public.offers (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  participant_id uuid not null references app_public.participants on delete cascade,
  band_id uuid not null references app_public.target_bands on delete cascade,
  offer_amount numeric(12, 2) not null,
  cost_amount numeric(12, 2) not null,
  pending_until timestamptz not null,
  status app_public.offer_status not null default 'pending',
  claimed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offers_one_per_participant unique (campaign_id, participant_id),
  constraint offers_claimed_at_when_claimed check ((status = 'claimed') = (claimed_at is not null))
);
create index offers_participant_id_idx on app_public.offers (participant_id);
create index offers_band_id_idx on app_public.offers (band_id);
create index offers_pending_due_idx on app_public.offers (pending_until) where status = 'pending';
comment on table app_public.offers is E'One offer of a campaign to one participant of its target.';
comment on column app_public.offers.id is E'Unique identifier of the offer.';
comment on column app_public.offers.campaign_id is E'The campaign.';
comment on column app_public.offers.participant_id is E'The participant offered.';
comment on column app_public.offers.band_id is E'The band the participant was in when offered.';
comment on column app_public.offers.offer_amount is E'The reward offered (the band''s bid then).';
comment on column app_public.offers.cost_amount is E'What the offer costs the marketer (the band''s bid then).';
comment on column app_public.offers.pending_until is E'When the offer becomes current.';
comment on column app_public.offers.status is E'pending, current, claimed or expired.';
comment on column app_public.offers.claimed_at is E'When the participant claimed it.';
comment on column app_public.offers.created_at is E'When the offer was made.';
comment on column app_public.offers.updated_at is E'When the offer last changed.';

create table app_public.campaign_offer_stats (
  campaign_id uuid primary key references app_public.campaigns on delete cascade,
  pending integer not null default 0,
  pending_spend numeric(14, 2) not null default 0,
  current integer not null default 0,
  claimed integer not null default 0,
  expired integer not null default 0,
  reach integer not null default 0
);
comment on table app_public.campaign_offer_stats is E'Offer counts of a campaign, kept by a trigger on offers so stats cost one row read.';
comment on column app_public.campaign_offer_stats.campaign_id is E'The campaign.';
comment on column app_public.campaign_offer_stats.pending is E'Offers pending.';
comment on column app_public.campaign_offer_stats.pending_spend is E'What the pending offers will cost the marketer.';
comment on column app_public.campaign_offer_stats.current is E'Offers current (claimable in REWARD_CLAIM).';
comment on column app_public.campaign_offer_stats.claimed is E'Rewards claimed.';
comment on column app_public.campaign_offer_stats.expired is E'Offers expired.';
comment on column app_public.campaign_offer_stats.reach is E'Participants offered (one offer per participant and campaign).';
