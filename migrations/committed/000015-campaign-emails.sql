--! Previous: sha1:44fd60dec09c544e12519ce940ecf2883c251523
--! Hash: sha1:9e81da951f3baf5d765879e6129f6fcd90916f3d
--! Message: campaign emails

-- Owners may ask for an email when a campaign of their marketer starts, closes or expires.
alter table app_public.marketer_members add column email_campaign_events boolean not null default false;
comment on column app_public.marketer_members.email_campaign_events is E'An owner''s choice: an email when a campaign of the marketer starts running, closes or expires (setMarketerCampaignEmails).';
