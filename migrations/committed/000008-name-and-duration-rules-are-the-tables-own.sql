--! Previous: sha1:359ef683f6e589199abf34c10b8718e5458ecd1f
--! Hash: sha1:8e4a2191e4c019359d1b0c8550cea300164241bd
--! Message: name and duration rules are the tables' own

-- One set of rules on every path: the limits of names and descriptions are the tables' own, so an
-- update through the API or a statement in psql obeys them as a creation does.

-- Blank is blank in any script: the ASCII whitespace, and every other Unicode White_Space
-- character (no-break and typographic spaces, line and paragraph separators, ideographic space),
-- with the invisible formatting characters a name can be made of (zero-width spaces and joiners,
-- word joiner, byte order mark). Listed, because which characters the regular expression class
-- [[:space:]] takes depends on the database's locale. It lives here, not in sql/, because
-- constraints depend on it: changing it means validating them again, in a migration.
create function app_private.is_blank(value text) returns boolean
  language sql immutable parallel safe
  as $$
    select value ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]*$'
  $$;
comment on function app_private.is_blank(text) is
  E'True when the text is empty or made only of whitespace (any Unicode whitespace, and zero-width characters).';

-- What is wrong with a campaign's name and description, in words, or null when nothing is: the
-- constraint below and the refusals in sql/ (CE202) say the same thing because they ask this.
-- security definer: the constraint runs it as the visitor, who may not name app_private objects
-- (as its body does) when Postgres inlines it.
create function app_private.campaign_text_problem(name text, description text) returns text
  language sql immutable parallel safe security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select case
      when name is null or app_private.is_blank(name) then 'name must not be empty or blank'
      when char_length(name) > 200 then format('name is %s characters long; at most 200 are allowed', char_length(name))
      when char_length(description) > 10000
        then format('description is %s characters long; at most 10000 are allowed', char_length(description))
    end
  $$;
comment on function app_private.campaign_text_problem(text, text) is
  E'Why a campaign''s name or description is refused (blank name, name over 200 or description over 10,000 characters), or null.';

alter table app_public.campaigns
  drop constraint campaigns_name_not_blank,
  add constraint campaigns_name_and_description_within_limits
    check (app_private.campaign_text_problem(name, description) is null);
comment on column app_public.campaigns.name is E'Name of the campaign: not blank, at most 200 characters.';
comment on column app_public.campaigns.description is E'Free text shown with the campaign, at most 10,000 characters.';

alter table app_public.marketers
  drop constraint marketers_name_not_blank,
  add constraint marketers_name_not_blank check (not app_private.is_blank(name));
alter table app_public.participants
  drop constraint participants_name_not_blank,
  add constraint participants_name_not_blank check (not app_private.is_blank(name));
alter table app_public.targets
  drop constraint targets_name_not_blank,
  add constraint targets_name_not_blank check (not app_private.is_blank(name));
alter table app_public.target_bands
  drop constraint target_bands_name_not_blank,
  add constraint target_bands_name_not_blank check (not app_private.is_blank(name));

-- Hours the database can compute with: a claim window of 10^12 hours was accepted, and then every
-- status change of its campaign failed (interval out of range), so it could neither start, close
-- nor expire. The table caps both at ten years; scheduling has narrower bounds, run-time settings
-- (sql/430_campaign_lifecycle.sql). Campaigns already past the cap get a year.
update app_public.campaigns set reward_claim_hours = 8766 where reward_claim_hours > 87660;
update app_public.campaigns
   set duration_hours = 8766, end_time = start_time + 8766 * interval '1 hour'
 where duration_hours > 87660;
alter table app_public.campaigns
  add constraint campaigns_duration_at_most_ten_years check (duration_hours <= 87660),
  add constraint campaigns_reward_claim_hours_at_most_ten_years check (reward_claim_hours <= 87660);
comment on column app_public.campaigns.duration_hours is
  E'How long the campaign runs, in hours (fractions allowed): more than 0, at most ten years (scheduleCampaign allows up to campaign_duration_max, a year by default).';
comment on column app_public.campaigns.reward_claim_hours is
  E'How long a closed campaign stays open for reward claims before it expires, in hours: more than 0, at most ten years (scheduleCampaign allows up to reward_claim_max, a year by default).';
