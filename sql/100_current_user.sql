-- Who is asking. The API verifies the JWT and passes its claims as settings (jwt.claims.*) of the
-- request's transaction; these functions are the only readers of those settings.

create or replace function app_public.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('jwt.claims.user_id', true), '')::uuid $$;
comment on function app_public.current_user_id() is
  E'The id of the signed-in user, or null for an anonymous request.';

create or replace function app_public.current_user_is_admin() returns boolean
  language sql stable
  as $$ select coalesce(nullif(current_setting('jwt.claims.is_admin', true), '')::boolean, false) $$;
comment on function app_public.current_user_is_admin() is
  E'True when the signed-in user''s token says they are an admin.';

create or replace function app_public.current_user() returns app_public.users
  language sql stable
  as $$ select * from app_public.users where id = app_public.current_user_id() $$;
comment on function app_public.current_user() is
  E'The signed-in user, or null for an anonymous request.';

-- Admin operations are for admins signed in through the API, and for operators in psql connected
-- as the database owner. The API always runs as the visitor role (SET ROLE) and claims who is
-- asking; the server's own connections claim someone too whenever they ask a rule for a user
-- (both claims, as pgSettingsFor sets them, "false" for an anonymous caller). So a session that
-- never switched role, is not the API's login, and claims nobody is an operator's.
create or replace function app_private.is_operator_session() returns boolean
  language sql stable
  as $$
    select pg_catalog.current_setting('role') = 'none'
       and session_user::text <> 'campaign_engine_authenticator'
       and coalesce(pg_catalog.current_setting('jwt.claims.user_id', true), '') = ''
       and coalesce(pg_catalog.current_setting('jwt.claims.is_admin', true), '') = ''
  $$;
comment on function app_private.is_operator_session() is
  E'True in an operator''s session: connected as the owner (psql, a task), no role switched, no jwt claims.';

-- security definer: policies and rules call it as the visitor, who may not name app_private
-- objects (as its body does) when Postgres inlines or runs it.
create or replace function app_private.current_user_may_administer() returns boolean
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select app_public.current_user_is_admin() or app_private.is_operator_session() $$;
comment on function app_private.current_user_may_administer() is
  E'True for a signed-in admin and in an operator''s session: who may do what admins may.';

create or replace function app_private.assert_admin() returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not app_private.current_user_may_administer() then
    raise exception 'only admins may do this' using errcode = '42501';
  end if;
end;
$$;
comment on function app_private.assert_admin() is
  E'Raises insufficient_privilege (42501) unless the signed-in user is an admin or the session is an operator''s (psql as the owner).';
