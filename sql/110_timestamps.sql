-- created_at and updated_at are the database's to set: a client cannot backdate a row. On insert,
-- the column defaults set both and visitors are granted neither column; on update, this trigger
-- keeps created_at and moves updated_at forward. (No insert trigger: seeding inserts a thousand
-- rows at a time, and a row trigger there would only repeat the defaults.)
--
-- One exception: handing over a pool campaign (sql/500_create_campaign.sql) restamps it and its
-- content so they look new. It sets campaign_engine.restamping for its transaction, and the
-- triggers' WHEN clause skips them (no trigger call per row for the ~1,000 rows).

create or replace function app_private.is_restamping() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('campaign_engine.restamping', true), '') = 'on' $$;
comment on function app_private.is_restamping() is
  E'True inside the transaction of a pool hand-over, which sets created_at and updated_at itself.';

create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  NEW.created_at := OLD.created_at;
  NEW.updated_at := greatest(now(), OLD.updated_at + interval '1 millisecond');
  return NEW;
end;
$$;
comment on function app_private.tg__timestamps() is
  E'Trigger function (before update): keeps created_at and moves updated_at forward.';

do $$
declare
  v_table text;
begin
  foreach v_table in array array['users', 'marketers', 'campaigns', 'campaign_timers', 'participants', 'targets', 'target_bands', 'bids', 'offers']
                          || app_private.content_tables() loop
    execute format('create or replace trigger _100_timestamps before update on app_public.%I
                      for each row when (not app_private.is_restamping())
                      execute function app_private.tg__timestamps()', v_table);
  end loop;
end
$$;
