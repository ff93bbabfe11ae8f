-- The event history: every event sent on campaign:<id> (sql/130_campaign_notifications.sql) is
-- kept in app_public.campaign_event_log for event_retention_days (30 by default), so a client that
-- was away replays exactly what it missed: campaignEvents(campaignId, after) in GraphQL, and the
-- Last-Event-ID of an event stream. Whoever sees the campaign sees its events.

alter table app_public.campaign_event_log enable row level security;
drop policy if exists select_if_campaign_visible on app_public.campaign_event_log;
create policy select_if_campaign_visible on app_public.campaign_event_log for select
  using (campaign_id in (select id from app_public.campaigns));
grant select on app_public.campaign_event_log to campaign_engine_visitor;

-- What every read of the history accepts: at most 1000 events at a time and, of what the caller
-- may see (`visible`; what they may not see has no events for them, and no cursor of it is
-- checked), after a cursor that exists and whose followers are kept. False: answer nothing.
-- security definer: the cursor sequence and the pruning horizon are not the visitor's to read.
drop function if exists app_public.assert_event_cursor(bigint);
drop function if exists app_public.assert_event_replay(bigint, integer);
create or replace function app_public.event_replay_allowed(visible boolean, after bigint, max_events integer) returns boolean
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_latest bigint;
begin
  if max_events is null or max_events < 1 or max_events > 1000 then
    raise exception 'maxEvents must be between 1 and 1000, not %', coalesce(max_events::text, 'null') using errcode = 'CE005';
  end if;
  if not visible then
    return false;
  end if;
  if after is null then
    return true;
  end if;
  select case when is_called then last_value else 0 end into v_latest from app_private.campaign_event_cursor;
  if after < 0 or after > v_latest then
    raise exception 'that is not an event cursor: %', after using errcode = 'CE401';
  end if;
  if after < (select pruned_through from app_private.campaign_event_horizon) then
    raise exception 'events after cursor % are no longer kept (event_retention_days is %)',
        after, app_private.setting('event_retention_days', '30')
      using errcode = 'CE402', hint = 'Read a snapshot, then follow live events (and replay from their cursors next time).';
  end if;
  return true;
end;
$$;
comment on function app_public.event_replay_allowed(boolean, bigint, integer) is
  E'@behavior -*\nRefuses max_events outside 1..1000 (CE005), then, when visible, a cursor that no event had (CE401) or one whose following events were pruned (CE402); false when not visible.';

drop function if exists app_public.campaign_events(uuid, bigint);
drop function if exists app_public.campaign_events(uuid, bigint, integer);
create function app_public.campaign_events(campaign_id uuid, after bigint default null, max_events integer default 1000)
  returns app_public.campaign_event_log[]
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_public.event_replay_allowed(exists (select 1 from app_public.campaigns c where c.id = campaign_events.campaign_id), after, max_events) then
    return '{}';
  end if;
  return (select coalesce(array_agg(log order by log.cursor), '{}')
            from (select * from app_public.campaign_event_log as stored
                   where stored.campaign_id = campaign_events.campaign_id and stored.cursor > coalesce(after, 0)
                   order by stored.cursor limit max_events) as log);
end;
$$;
comment on function app_public.campaign_events(uuid, bigint, integer) is
  E'The events of a campaign you may see, in the order they committed: the first max_events (at most 1000) that are kept, or that followed the cursor you saw last; ask again after the last one for more. A client that reconnects subscribes first, then replays from here, then applies live events past the last cursor. Refused for a cursor that is not one (CE401) or older than the history (CE402).';

-- A list, not a connection: a replay wants everything after the cursor, in order, and the
-- argument keeps its name (a connection has an `after` of its own).

-- The same for every campaign of a marketer, for streams that follow a marketer's campaigns.
drop function if exists app_public.marketer_campaign_events(uuid, bigint);
drop function if exists app_public.marketer_campaign_events(uuid, bigint, integer);
create function app_public.marketer_campaign_events(marketer_id uuid, after bigint default null, max_events integer default 1000)
  returns app_public.campaign_event_log[]
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_public.event_replay_allowed(exists (select 1 from app_public.marketers m where m.id = marketer_campaign_events.marketer_id), after, max_events) then
    return '{}';
  end if;
  return (select coalesce(array_agg(log order by log.cursor), '{}')
            from (select * from app_public.campaign_event_log as stored
                   where stored.marketer_id = marketer_campaign_events.marketer_id and stored.cursor > coalesce(after, 0)
                   order by stored.cursor limit max_events) as log);
end;
$$;
comment on function app_public.marketer_campaign_events(uuid, bigint, integer) is
  E'The events of the campaigns of a marketer you belong to, in the order they committed: the first max_events (at most 1000), optionally after a cursor (see campaignEvents).';

create or replace function app_private.create_event_log_partitions(months_ahead integer default 3) returns integer
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_private.create_monthly_partitions('campaign_event_log', 'occurred_at', months_ahead) $$;
comment on function app_private.create_event_log_partitions(integer) is
  E'Creates the event log partitions of this month and the next months_ahead months; returns how many were new.';

create or replace function app_private.prune_campaign_events() returns bigint
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_cutoff timestamptz := now() - make_interval(days => app_private.setting('event_retention_days', '30')::integer);
  v_pruned bigint;
begin
  -- The horizon first: from now on a cursor before it is refused, not answered with a gap.
  update app_private.campaign_event_horizon
     set pruned_through = greatest(pruned_through,
                                   coalesce((select max(cursor) from app_public.campaign_event_log where occurred_at < v_cutoff), 0));
  perform app_private.drop_monthly_partitions_before('campaign_event_log', v_cutoff);
  delete from app_public.campaign_event_log where occurred_at < v_cutoff;
  get diagnostics v_pruned = row_count;
  return v_pruned;
end;
$$;
comment on function app_private.prune_campaign_events() is
  E'Removes events older than event_retention_days (whole months by dropping their partitions) and moves the replay horizon past them; returns how many rows it deleted one by one.';

select app_private.create_event_log_partitions();
