--! Previous: sha1:67831a7a2865083979362290c0336453c3f50a8d
--! Hash: sha1:d6bfb221f4051dfa00394da079b75940a26ce916
--! Message: marketer roles

-- Marketers managed by their users: a member is an owner (manages the members and the name) or
-- a member. Memberships made before roles existed were made by operators for people who ran the
-- marketer: they become owners, so that no marketer is left without one.
create type app_public.marketer_role as enum ('owner', 'member');
comment on type app_public.marketer_role is E'A member''s role in a marketer: owners also manage its members and its name.';

alter table app_public.marketer_members add column role app_public.marketer_role not null default 'owner';
alter table app_public.marketer_members alter column role set default 'member';
comment on column app_public.marketer_members.role is E'owner (manages the members and the name) or member.';

alter table app_public.marketers
  add constraint marketers_name_within_limit check (char_length(name) <= 200);
