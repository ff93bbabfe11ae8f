-- The pools' records are for admins: the assignment audit and the monitor's snapshots.

do $$
declare
  v_table text;
begin
  foreach v_table in array array['pool_assignments', 'pool_metrics'] loop
    execute format('alter table app_public.%I enable row level security', v_table);
    execute format('drop policy if exists select_admin on app_public.%I', v_table);
    execute format('create policy select_admin on app_public.%I for select using (app_private.current_user_may_administer())', v_table);
    execute format('grant select on app_public.%I to campaign_engine_visitor', v_table);
  end loop;
end
$$;
