-- The pools' run-time settings (app_private.settings; a missing row is the default) and counts
-- that several pool functions share. Admins change them with set_pool_target and set_pools_enabled.

create or replace function app_private.pools_enabled() returns boolean
  language sql stable
  as $$ select app_private.setting('pools_enabled', 'true')::boolean $$;
comment on function app_private.pools_enabled() is
  E'False when an admin switched the pools off (set_pools_enabled): every campaign is then seeded inline.';

-- pool_target_mode: fixed (the target an admin set) or adaptive (the one the pool monitor derives
-- from the assignment history every minute, sql/515_pool_sizing.sql; the fixed one until then).
create or replace function app_private.pool_target_mode() returns text
  language sql stable
  as $$ select app_private.setting('pool_target_mode', '"fixed"') #>> '{}' $$;
comment on function app_private.pool_target_mode() is
  E'fixed (the target set_pool_target set) or adaptive (the pool monitor sizes the master pool).';

-- The target the pool monitor set last in adaptive mode (sql/515_pool_sizing.sql); null before.
create or replace function app_private.pool_adaptive_target() returns integer
  language sql stable
  as $$ select (app_private.setting('pool_adaptive_target', 'null') #>> '{}')::integer $$;
comment on function app_private.pool_adaptive_target() is
  E'The master pool target the pool monitor set last in adaptive mode; null when it never did.';

create or replace function app_private.pool_target_size() returns integer
  language sql stable
  as $$
    select coalesce(case when app_private.pool_target_mode() = 'adaptive' then app_private.pool_adaptive_target() end,
                    app_private.setting('pool_target_size', '3')::integer)
  $$;
comment on function app_private.pool_target_size() is
  E'How many campaigns the master pool keeps ready: set_pool_target''s, or in adaptive mode the pool monitor''s.';

-- The pools' sizes, counted in one place: the partial index on pooled campaigns answers it.
-- A user has at most one user pool campaign (campaigns_one_user_pool_per_user). master_current:
-- those seeded from the current template version (the others are replaced, sql/510_replenish_pool.sql).
do $$
begin
  -- master_current was added: a function's out parameters change only by dropping it.
  if not exists (select 1 from pg_catalog.pg_proc where proname = 'pool_sizes' and 'master_current' = any(proargnames)) then
    drop function if exists app_private.pool_sizes();
  end if;
end
$$;
create or replace function app_private.pool_sizes(out master_ready integer, out master_oldest_at timestamptz,
                                                  out user_pools integer, out master_current integer) returns record
  language sql stable
  as $$
    select (count(*) filter (where pool_type = 'master'))::integer,
           min(pool_created_at) filter (where pool_type = 'master'),
           (count(*) filter (where pool_type = 'user'))::integer,
           (count(*) filter (where pool_type = 'master'
                               and template_version = app_private.latest_template_version()))::integer
      from app_public.campaigns where is_pool
  $$;
comment on function app_private.pool_sizes() is
  E'How many campaigns wait in the master pool (since when the oldest, how many of the current template version), and how many users have a user pool campaign.';

create or replace function app_private.master_pool_ready() returns integer
  language sql stable
  as $$ select master_ready from app_private.pool_sizes() $$;
comment on function app_private.master_pool_ready() is
  E'How many campaigns wait in the master pool.';

create or replace function app_private.pool_min_ready() returns integer
  language sql stable
  as $$ select app_private.setting('pool_min_ready', '2')::integer $$;
comment on function app_private.pool_min_ready() is
  E'Below this many ready master pool campaigns the monitor raises a CRITICAL alert.';

create or replace function app_private.pool_target_max() returns integer
  language sql stable
  as $$ select app_private.setting('pool_target_max', '50')::integer $$;
comment on function app_private.pool_target_max() is
  E'The largest master pool target set_pool_target accepts.';
