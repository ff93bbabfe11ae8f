-- created_at and updated_at are the database's to set: a client cannot backdate a row. On insert,
-- the column defaults set both and visitors are granted neither column; on update, this trigger
-- keeps created_at and moves updated_at forward. (No insert trigger: seeding inserts a thousand
-- rows at a time, and a row trigger there would only repeat the defaults.)
--
-- A content row's createdAt and updatedAt in the API are the later of these and its campaign's
-- activation (sql/112_content_shown_times.sql), so a pool hand-over rewrites no content row; a
-- campaign's own created_at follows its activation (_105_created_at_is_activation, below).

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
                      for each row execute function app_private.tg__timestamps()', v_table);
  end loop;
end
$$;

-- A pool campaign becomes its user's when it is activated (the hand-over): from then on it is as
-- new as a campaign created then, as the pool design wants (pool_created_at keeps its real age).
-- After _100_timestamps, which keeps created_at on every other update.
create or replace function app_private.tg_campaigns__created_at_is_activation() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  NEW.created_at := NEW.activated_at;
  NEW.updated_at := NEW.activated_at;
  return NEW;
end;
$$;
comment on function app_private.tg_campaigns__created_at_is_activation() is
  E'Trigger function (before update of activated_at): the campaign is created, and last changed, when it is activated.';
create or replace trigger _105_created_at_is_activation before update of activated_at on app_public.campaigns
  for each row when (NEW.activated_at is distinct from OLD.activated_at and NEW.activated_at is not null)
  execute function app_private.tg_campaigns__created_at_is_activation();
