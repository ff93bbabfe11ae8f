--! Previous: -
--! Hash: sha1:5916691741100913c1a2b004edf3a766a4d66eed
--! Message: foundation

-- Foundation: the schemas, users and the organisations (marketers) that share campaigns.
-- Roles, functions, triggers, policies and grants live in sql/ and are re-applied after every migrate.

create schema app_public;
comment on schema app_public is E'The API: everything in this schema is visible through GraphQL, guarded by row-level security.';
create schema app_hidden;
comment on schema app_hidden is E'Internal tables that visitors reach only through functions; not part of the API.';
create schema app_private;
comment on schema app_private is E'Internals and secrets that visitors can never reach.';
create schema ops;
comment on schema ops is E'Views for operators working in psql.';

create table app_public.users (
  id uuid primary key default gen_random_uuid(),
  email text not null
    constraint users_email_unique unique
    constraint users_email_is_an_address check (email ~ '^[^@\s]+@[^@\s]+$')
    constraint users_email_is_lower_case check (email = lower(email)),
  name text not null default '',
  is_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table app_public.users is E'A person who signs in. Users see themselves; admins see everyone.';
comment on column app_public.users.id is E'Unique identifier of the user.';
comment on column app_public.users.email is E'Sign-in address, lower case, unique.';
comment on column app_public.users.name is E'Display name.';
comment on column app_public.users.is_admin is E'Admins see and manage every campaign and the pools.';
comment on column app_public.users.created_at is E'When the user was created.';
comment on column app_public.users.updated_at is E'When the user was last changed.';

create table app_public.marketers (
  id uuid primary key default gen_random_uuid(),
  name text not null constraint marketers_name_unique unique
    constraint marketers_name_not_blank check (btrim(name) <> ''),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table app_public.marketers is E'An organisation whose members share its campaigns.';
comment on column app_public.marketers.id is E'Unique identifier of the marketer.';
comment on column app_public.marketers.name is E'Name of the organisation, unique.';
comment on column app_public.marketers.created_at is E'When the marketer was created.';
comment on column app_public.marketers.updated_at is E'When the marketer was last changed.';

create table app_public.marketer_members (
  marketer_id uuid not null references app_public.marketers on delete cascade,
  user_id uuid not null references app_public.users on delete cascade,
  created_at timestamptz not null default now(),
  primary key (marketer_id, user_id)
);
create index marketer_members_user_id_idx on app_public.marketer_members (user_id);
comment on table app_public.marketer_members is E'Membership of a user in a marketer: members see all of the marketer''s campaigns.';
comment on column app_public.marketer_members.marketer_id is E'The marketer.';
comment on column app_public.marketer_members.user_id is E'The member.';
comment on column app_public.marketer_members.created_at is E'When the user joined the marketer.';

create table app_public.campaigns (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users on delete cascade,
  marketer_id uuid references app_public.marketers on delete set null,
  name text not null constraint campaigns_name_not_blank check (btrim(name) <> ''),
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index campaigns_user_id_idx on app_public.campaigns (user_id);
create index campaigns_marketer_id_idx on app_public.campaigns (marketer_id);
comment on table app_public.campaigns is E'A campaign. Its owner, the members of its marketer and admins see it.';
comment on column app_public.campaigns.id is E'Unique identifier of the campaign.';
comment on column app_public.campaigns.user_id is E'The owner.';
comment on column app_public.campaigns.marketer_id is E'The marketer whose members share this campaign, if any.';
comment on column app_public.campaigns.name is E'Name of the campaign; not blank.';
comment on column app_public.campaigns.description is E'Free text shown with the campaign.';
comment on column app_public.campaigns.created_at is E'When the campaign was created.';
comment on column app_public.campaigns.updated_at is E'When the campaign was last changed.';

create table app_hidden.worker_heartbeats (
  worker_id text primary key,
  beat_at timestamptz not null default now()
);
comment on table app_hidden.worker_heartbeats is E'Last sign of life of each graphile-worker process, written by the health_ping task.';
