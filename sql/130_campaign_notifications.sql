-- Live updates: a committed change to campaigns is announced on campaign:<id> and, for campaigns
-- of a marketer, on marketer:<id>:campaigns. Statement-level, so a statement touching many rows
-- sends one notification per campaign (and Postgres folds repeats within a transaction); payloads
-- carry ids only, never rows (NOTIFY payloads are capped at 8000 bytes).

create or replace function app_private.tg_campaigns__notify_updated() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  perform pg_notify('campaign:' || changed.id, json_build_object('event', 'campaign_updated', 'campaign_id', changed.id)::text)
  from (select distinct id from new_campaigns) as changed;

  perform pg_notify('marketer:' || changed.marketer_id || ':campaigns',
                    json_build_object('event', 'campaign_updated', 'campaign_id', changed.id)::text)
  from (select distinct id, marketer_id from new_campaigns where marketer_id is not null) as changed;
  return null;
end;
$$;
comment on function app_private.tg_campaigns__notify_updated() is
  E'Trigger function: NOTIFY campaign_updated for each campaign changed by the statement.';

create or replace trigger _900_notify_updated after update on app_public.campaigns
  referencing new table as new_campaigns
  for each statement execute function app_private.tg_campaigns__notify_updated();
