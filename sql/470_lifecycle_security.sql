-- Who sees the lifecycle records: whoever sees the campaign. Nobody writes them directly; the
-- lifecycle functions and triggers do.

do $$
declare
  v_table text;
begin
  foreach v_table in array array['campaign_state_log', 'campaign_timers', 'timer_executions', 'campaign_metrics'] loop
    execute format('alter table app_public.%I enable row level security', v_table);
    execute format('drop policy if exists select_if_campaign_visible on app_public.%I', v_table);
    execute format('create policy select_if_campaign_visible on app_public.%I for select
                      using (campaign_id in (select id from app_public.campaigns))', v_table);
    execute format('grant select on app_public.%I to campaign_engine_visitor', v_table);
  end loop;
end
$$;

