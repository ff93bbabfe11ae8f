-- The API connects as campaign_engine_authenticator, a login role with no privileges of its own,
-- and runs every GraphQL request as campaign_engine_visitor, whose reach row-level security decides.
-- Roles are cluster-wide, so they are created only when missing (several databases may share them).
-- The authenticator's password is set by `npm run migrate` from configuration, never written here.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'campaign_engine_visitor') then
    create role campaign_engine_visitor nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'campaign_engine_authenticator') then
    create role campaign_engine_authenticator login noinherit;
  end if;
end
$$;

grant campaign_engine_visitor to campaign_engine_authenticator;
do $$ begin
  execute format('grant connect on database %I to campaign_engine_authenticator', current_database());
end $$;

grant usage on schema app_public to campaign_engine_visitor;
revoke all on schema app_hidden, app_private, ops from public;
