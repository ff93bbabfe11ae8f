-- Who may see and change campaign content: whoever may see the campaign sees its content (the
-- campaigns policy decides, through the subquery); the campaign's owner and admins change it.
-- Images are files on a public CDN, shared by many campaigns: every visitor may read them.

do $$
declare
  v_table text;
  v_insertable text;
  v_updatable text;
begin
  foreach v_table in array app_private.content_tables() loop
    execute format('alter table app_public.%I enable row level security', v_table);

    execute format('drop policy if exists select_if_campaign_visible on app_public.%I', v_table);
    execute format('create policy select_if_campaign_visible on app_public.%I for select
                      using (campaign_id in (select id from app_public.campaigns))', v_table);
    execute format('drop policy if exists insert_if_campaign_editable on app_public.%I', v_table);
    execute format('create policy insert_if_campaign_editable on app_public.%I for insert
                      with check (app_private.current_user_may_edit_campaign(campaign_id))', v_table);
    execute format('drop policy if exists update_if_campaign_editable on app_public.%I', v_table);
    execute format('create policy update_if_campaign_editable on app_public.%I for update
                      using (app_private.current_user_may_edit_campaign(campaign_id))', v_table);
    execute format('drop policy if exists delete_if_campaign_editable on app_public.%I', v_table);
    execute format('create policy delete_if_campaign_editable on app_public.%I for delete
                      using (app_private.current_user_may_edit_campaign(campaign_id))', v_table);

    -- Every column but the identity and the timestamps is the visitor's to set, campaign_id only on insert
    -- (a row never moves to another campaign).
    select string_agg(quote_ident(column_name), ', ' order by ordinal_position),
           string_agg(quote_ident(column_name), ', ' order by ordinal_position) filter (where column_name <> 'campaign_id')
      into v_insertable, v_updatable
    from information_schema.columns
    where table_schema = 'app_public' and table_name = v_table
      and column_name not in ('id', 'created_at', 'updated_at');
    execute format('grant select, delete on app_public.%I to campaign_engine_visitor', v_table);
    execute format('grant insert (%s) on app_public.%I to campaign_engine_visitor', v_insertable, v_table);
    execute format('grant update (%s) on app_public.%I to campaign_engine_visitor', v_updatable, v_table);
  end loop;
end
$$;

alter table app_public.images enable row level security;
drop policy if exists select_all on app_public.images;
create policy select_all on app_public.images for select using (true);
grant select on app_public.images to campaign_engine_visitor;
