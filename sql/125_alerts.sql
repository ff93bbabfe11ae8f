-- Alerts: raised by the database where a condition is detected (a timer failing for good, a pool
-- running dry), at most one open alert per kind, resolved when the condition clears. Each change
-- is announced on the `alerts` channel.

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
  end if;
  perform pg_notify('alerts', json_build_object('event', 'alert_raised', 'kind', alert_kind, 'severity', alert_severity)::text);
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
begin
  update app_public.alerts set resolved_at = now() where kind = alert_kind and resolved_at is null;
  if found then
    perform pg_notify('alerts', json_build_object('event', 'alert_resolved', 'kind', alert_kind)::text);
  end if;
end;
$$;
comment on function app_private.resolve_alert(text) is
  E'Closes the open alert of this kind, if there is one.';

revoke execute on function app_private.raise_alert(text, text, text, jsonb) from public;
revoke execute on function app_private.resolve_alert(text) from public;

alter table app_public.alerts enable row level security;
drop policy if exists select_admin on app_public.alerts;
create policy select_admin on app_public.alerts for select using (app_public.current_user_is_admin());
grant select on app_public.alerts to campaign_engine_visitor;
