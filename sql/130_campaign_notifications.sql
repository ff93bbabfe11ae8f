-- Live updates: a committed change to a campaign is announced on campaign:<id> and, for campaigns
-- of a marketer, on marketer:<id>:campaigns. Payloads carry ids and counts only, never rows
-- (NOTIFY payloads are capped at 8000 bytes), and go out only when the transaction commits.
-- sent_at is the transaction's time (now(), in milliseconds since the epoch), from which servers
-- measure how late events reach their clients (sql/645_delivery_latency.sql); the same in every
-- notification of one transaction, so that Postgres still folds repeats.

create or replace function app_private.notify_campaign_event(
  campaign_id uuid, marketer_id uuid, event text, count bigint default null
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_payload text := json_strip_nulls(json_build_object('event', event, 'campaign_id', campaign_id, 'count', count,
                                                      'sent_at', floor(extract(epoch from now()) * 1000)::bigint))::text;
begin
  perform pg_notify('campaign:' || campaign_id, v_payload);
  if marketer_id is not null then
    perform pg_notify('marketer:' || marketer_id || ':campaigns', v_payload);
  end if;
end;
$$;
comment on function app_private.notify_campaign_event(uuid, uuid, text, bigint) is
  E'NOTIFY {"event", "campaign_id", "count", "sent_at"} on campaign:<id> and, when it has one, marketer:<id>:campaigns.';

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
