-- Alerts: raised by the database where a condition is detected (a timer failing for good, a pool
-- running dry), at most one open alert per kind, resolved when the condition clears. Each change
-- is announced on the `pool` channel (the admin dashboard's), and a new or resolved alert is
-- delivered by the send_alert_webhook and send_alert_email tasks (each does nothing unless
-- configured), retried by graphile-worker until it gets through.

create or replace function app_private.enqueue_alert_delivery(alert_id uuid) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
    select app_private.add_job(task, json_build_object('alert_id', alert_id), max_attempts => 10)
      from unnest(array['send_alert_webhook', 'send_alert_email']) as task
  $$;
comment on function app_private.enqueue_alert_delivery(uuid) is
  E'Enqueues delivering the alert (as it is now: open or resolved) to the webhook and by email.';

-- security definer: raised from paths that visitors trigger (timers they schedule), but only
-- admins may read or write alerts.
create or replace function app_private.raise_alert(
  alert_severity text, alert_kind text, alert_message text, alert_details jsonb default '{}'
) returns app_public.alerts
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_alert app_public.alerts;
begin
  -- An open alert of this kind is refreshed rather than duplicated.
  update app_public.alerts
     set severity = alert_severity, message = alert_message, details = alert_details, updated_at = now()
   where kind = alert_kind and resolved_at is null
  returning * into v_alert;
  if not found then
    insert into app_public.alerts (severity, kind, message, details)
    values (alert_severity, alert_kind, alert_message, alert_details)
    returning * into v_alert;
    perform app_private.enqueue_alert_delivery(v_alert.id);
  end if;
  perform pg_notify('pool', json_build_object('event', 'alert_raised', 'kind', alert_kind, 'severity', alert_severity)::text);
  return v_alert;
end;
$$;
comment on function app_private.raise_alert(text, text, text, jsonb) is
  E'Opens the alert of this kind, or refreshes it when it is already open.';

-- security definer: see raise_alert.
create or replace function app_private.resolve_alert(alert_kind text) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_alert_id uuid;
begin
  update app_public.alerts set resolved_at = now() where kind = alert_kind and resolved_at is null
  returning id into v_alert_id;
  if found then
    perform app_private.enqueue_alert_delivery(v_alert_id);
    perform pg_notify('pool', json_build_object('event', 'alert_resolved', 'kind', alert_kind)::text);
  end if;
end;
$$;
comment on function app_private.resolve_alert(text) is
  E'Closes the open alert of this kind, if there is one.';

revoke execute on function app_private.raise_alert(text, text, text, jsonb) from public;
revoke execute on function app_private.resolve_alert(text) from public;

alter table app_public.alerts enable row level security;
drop policy if exists select_admin on app_public.alerts;
create policy select_admin on app_public.alerts for select using (app_private.current_user_may_administer());
grant select on app_public.alerts to campaign_engine_visitor;
