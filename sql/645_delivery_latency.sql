-- The slow_broadcast alert: each API process reports, every REALTIME_LATENCY_REPORT_MS (30 s),
-- the p99 of its commit-to-delivery latency over the last 5 minutes (src/server/realtime-metrics.ts:
-- from the notifying transaction's time, which campaign events carry as sent_at, to when the
-- process had handed the event to every stream and subscription). While it is above the setting
-- slow_broadcast_ms (default 1000) the WARNING is open; a report at or below it, or one without
-- deliveries, resolves it. With several processes, the last report decides.

create or replace function app_private.report_delivery_latency(p99_ms numeric, deliveries integer) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_threshold numeric := app_private.setting('slow_broadcast_ms', '1000')::numeric;
begin
  perform app_private.set_alert(
    deliveries > 0 and p99_ms > v_threshold, 'WARNING', 'slow_broadcast',
    format('Live updates reach their clients late: p99 %s ms over the last 5 minutes (%s deliveries; over %s ms).',
           round(p99_ms), deliveries, v_threshold),
    jsonb_build_object('p99_ms', round(p99_ms, 1), 'deliveries', deliveries, 'threshold_ms', v_threshold));
end;
$$;
comment on function app_private.report_delivery_latency(numeric, integer) is
  E'An API process''s report of its live-update latency (p99 over 5 minutes): raises slow_broadcast above slow_broadcast_ms, resolves it otherwise.';
