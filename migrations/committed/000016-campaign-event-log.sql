--! Previous: sha1:9e81da951f3baf5d765879e6129f6fcd90916f3d
--! Hash: sha1:ef42ca36e2f963a1d143805fe38032293a0d89c9
--! Message: campaign event log

-- Every event sent on campaign:<id> is also stored, so a client that was away replays what it
-- missed (app_public.campaign_events, the SSE stream's Last-Event-ID) instead of only re-reading a
-- snapshot. Range-partitioned by month like the state log; kept event_retention_days.
create table app_public.campaign_event_log (
  cursor bigint,
  campaign_id uuid not null,
  marketer_id uuid,
  event text not null,
  count bigint,
  transaction_id bigint not null default pg_current_xact_id()::text::bigint,
  occurred_at timestamptz not null default now()
) partition by range (occurred_at);
-- One row per distinct event of a transaction, as Postgres folds repeated notifications. The
-- count as coalesce(count, -1), so that the publish trigger finds its row by this index too.
create unique index campaign_event_log_once_per_transaction
  on app_public.campaign_event_log (occurred_at, transaction_id, campaign_id, event, coalesce(count, -1));
create index campaign_event_log_campaign_cursor_idx on app_public.campaign_event_log (campaign_id, cursor);
create index campaign_event_log_marketer_cursor_idx on app_public.campaign_event_log (marketer_id, cursor)
  where marketer_id is not null;
create table app_private.campaign_event_log_default partition of app_public.campaign_event_log default;
comment on table app_public.campaign_event_log is
  E'@behavior -insert -update -delete\nEvery event sent on campaign:<id>, kept event_retention_days (30 by default). Replay with campaignEvents(campaignId, after).';
comment on column app_public.campaign_event_log.cursor is
  E'The event''s position: events commit in cursor order, across all campaigns. Pass the last one you saw as after (or as Last-Event-ID) to get what followed.';
comment on column app_public.campaign_event_log.campaign_id is E'The campaign it happened to.';
comment on column app_public.campaign_event_log.marketer_id is E'The campaign''s marketer when it happened, if any.';
comment on column app_public.campaign_event_log.event is E'What happened: campaign_updated, target_populated, offers_created, reward_reminder, …';
comment on column app_public.campaign_event_log.count is E'How many: people reached (target_populated), offers made (offers_created).';
comment on column app_public.campaign_event_log.transaction_id is E'@behavior -*\nThe transaction that sent it.';
comment on column app_public.campaign_event_log.occurred_at is E'When the transaction that sent it began.';

-- Cursors are handed out at commit, under one lock, so that they follow commit order.
create sequence app_private.campaign_event_cursor as bigint;

-- The highest cursor pruning removed: a cursor below it may have lost events.
create table app_private.campaign_event_horizon (
  only_row boolean primary key default true check (only_row),
  pruned_through bigint not null default 0
);
insert into app_private.campaign_event_horizon default values;
comment on table app_private.campaign_event_horizon is
  E'The highest cursor that pruning removed; replay after an older cursor is refused.';
