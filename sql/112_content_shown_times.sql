-- What a content row's createdAt and updatedAt show: the later of the row's own time and its
-- campaign's activation. A row a pool campaign got from the template before it was handed over
-- shows the hand-over, as if it had been created then; a row created or edited after it shows its
-- own time. The columns keep the true time the row was written, which is what an operator in psql
-- wants to know; `<table>_created_at(row)` and `<table>_updated_at(row)` give what the API shows:
--   select name, app_public.schticks_created_at(s) from app_public.schticks s where campaign_id = …;
-- So a hand-over rewrites no content row, whatever the template's size.

-- The rule itself. No SET clause and nothing that depends on search_path, so Postgres inlines it
-- into the query that uses it: the API joins each list's campaign once and passes its activation
-- (src/graphql/content-times.ts), which costs next to nothing per row.
drop function if exists app_public.content_shown_time(timestamptz, uuid);
create or replace function app_public.content_shown_time(written_at timestamptz, activated_at timestamptz) returns timestamptz
  language sql immutable parallel safe
  as $$ select greatest(written_at, activated_at) $$;
comment on function app_public.content_shown_time(timestamptz, timestamptz) is
  E'@behavior -*\nThe time a content row shows for one of its own times: the later of it and its campaign''s activation (none yet: its own).';

-- security definer: the campaign is read as the owner, a key lookup without row-level security
-- (the visitor sees the row, so they see its campaign); the policy, asked once per row of a list,
-- made ordering a campaign's 643 schticks by createdAt 60 times slower.
create or replace function app_public.campaign_activated_at(of_campaign_id uuid) returns timestamptz
  language sql stable parallel safe security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select c.activated_at from app_public.campaigns c where c.id = of_campaign_id $$;
comment on function app_public.campaign_activated_at(uuid) is
  E'@behavior -*\nWhen the campaign was handed to its user: null for one still in a pool, and for the master template.';

-- For psql and for ordering a list by createdAt or updatedAt; the API's fields take the join
-- instead, from the @shownTimeOf tag.
do $$
declare
  v_table text;
  v_column text;
begin
  foreach v_table in array app_private.content_tables() loop
    foreach v_column in array array['created_at', 'updated_at'] loop
      execute format(
        'create or replace function app_public.%1$I(content_row app_public.%2$I) returns timestamptz
           language sql stable parallel safe
           as $body$ select app_public.content_shown_time(content_row.%3$I, app_public.campaign_activated_at(content_row.campaign_id)) $body$',
        v_table || '_' || v_column, v_table, v_column);
      -- The field keeps the column's name (createdAt, updatedAt) and can order a list.
      execute format('comment on function app_public.%I(app_public.%I) is %L', v_table || '_' || v_column, v_table,
        E'@behavior +orderBy\n@notNull\n@shownTimeOf ' || v_column || E'\n' || case v_column
          when 'created_at' then 'When it was created: its campaign''s activation for what the campaign came with.'
          else 'When it was last changed: its campaign''s activation, unless it changed since.' end);
      -- The column itself is for psql: the API shows the function.
      execute format('comment on column app_public.%I.%I is %L', v_table, v_column,
        E'@behavior -*\n' || case v_column
          when 'created_at' then 'When the row was written (the API shows the later of this and the campaign''s activation).'
          else 'When the row was last written (the API shows the later of this and the campaign''s activation).' end);
    end loop;
  end loop;
end
$$;
