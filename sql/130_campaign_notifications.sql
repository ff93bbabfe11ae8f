-- Live updates: a committed change to a campaign is announced on campaign:<id> and, for campaigns
-- of a marketer, on marketer:<id>:campaigns. Payloads carry ids and counts only, never rows
-- (NOTIFY payloads are capped at 8000 bytes), and go out only when the transaction commits.
-- sent_at is the transaction's time (now(), in milliseconds since the epoch), from which servers
-- measure how late events reach their clients (sql/645_delivery_latency.sql).

-- Each event is stored too (app_public.campaign_event_log, sql/655_campaign_event_history.sql), and
-- the NOTIFY goes out at commit, from the stored row, carrying its cursor. security definer: it is
-- reached from triggers that visitors fire, and visitors may not write the log.
create or replace function app_private.notify_campaign_event(
  campaign_id uuid, marketer_id uuid, event text, count bigint default null
) returns void
  language sql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    insert into app_public.campaign_event_log (campaign_id, marketer_id, event, count)
    values (campaign_id, marketer_id, event, count)
    on conflict do nothing
  $$;
comment on function app_private.notify_campaign_event(uuid, uuid, text, bigint) is
  E'Stores an event of a campaign; at commit it gets its cursor and is sent (NOTIFY) on campaign:<id> and, when it has one, marketer:<id>:campaigns.';

-- One shape for an event, live (NOTIFY) and replayed (the event streams read it back from the log).
create or replace function app_public.campaign_event_payload(stored app_public.campaign_event_log) returns text
  language sql immutable
  as $$
    select json_strip_nulls(json_build_object(
      'event', stored.event, 'campaign_id', stored.campaign_id, 'count', stored.count, 'cursor', stored.cursor,
      'sent_at', floor(extract(epoch from stored.occurred_at) * 1000)::bigint))::text
  $$;
comment on function app_public.campaign_event_payload(app_public.campaign_event_log) is
  E'@behavior -*\nThe JSON an event is sent as: {"event", "campaign_id", "count", "cursor", "sent_at"}.';

-- A deferred trigger, so it runs at commit. The lock, held until the commit is done and visible,
-- makes cursors follow commit order: a reader that sees cursor n sees every smaller cursor that
-- will ever exist, so replaying "after n" misses nothing (identity values alone are handed out
-- at insert, and a transaction may commit after a later one). Every transaction that notifies
-- already serialises on Postgres's notification queue at commit, so this costs little more. (A
-- session that runs SET CONSTRAINTS ALL IMMEDIATE fires it at once instead, and so holds the lock
-- until it commits: every other transaction that sends an event waits for it meanwhile.)
-- security definer: it runs at the commit of a visitor's transaction, as the visitor.
create or replace function app_private.tg_campaign_event_log__publish() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_cursor bigint;
  v_payload text;
begin
  perform pg_advisory_xact_lock(hashtextextended('campaign_event_cursor', 0));
  update app_public.campaign_event_log as log
     set cursor = nextval('app_private.campaign_event_cursor')
   where log.occurred_at = new.occurred_at and log.transaction_id = new.transaction_id
     and log.campaign_id = new.campaign_id and log.event = new.event and coalesce(log.count, -1) = coalesce(new.count, -1)
  returning log.cursor into v_cursor;
  new.cursor := v_cursor;
  v_payload := app_public.campaign_event_payload(new);
  perform pg_notify('campaign:' || new.campaign_id, v_payload);
  if new.marketer_id is not null then
    perform pg_notify('marketer:' || new.marketer_id || ':campaigns', v_payload);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_campaign_event_log__publish() is
  E'Trigger function, at commit: gives a stored event its cursor and sends it {"event", "campaign_id", "count", "cursor", "sent_at"}.';

drop trigger if exists _500_publish on app_public.campaign_event_log;
create constraint trigger _500_publish after insert on app_public.campaign_event_log
  deferrable initially deferred
  for each row execute function app_private.tg_campaign_event_log__publish();

-- Statement-level, so a statement touching many rows sends one notification per campaign (and
-- Postgres folds repeats within a transaction). security definer: it fires for visitors who rename
-- their campaign, and they may not reach app_private (plpgsql resolves the call in the caller's
-- rights, the first time each connection runs it).
create or replace function app_private.tg_campaigns__notify_updated() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform app_private.notify_campaign_event(changed.id, changed.marketer_id, 'campaign_updated')
  from (select distinct id, marketer_id from new_campaigns) as changed;
  return null;
end;
$$;
comment on function app_private.tg_campaigns__notify_updated() is
  E'Trigger function: NOTIFY campaign_updated for each campaign changed by the statement.';

create or replace trigger _900_notify_updated after update on app_public.campaigns
  referencing new table as new_campaigns
  for each statement execute function app_private.tg_campaigns__notify_updated();
