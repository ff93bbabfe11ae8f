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

-- security definer: policies on campaigns and marketers ask this question, and it must read
-- marketer_members without going through that table's own policy (which asks it too).
create or replace function app_private.current_user_marketer_ids() returns setof uuid
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
    select marketer_id from app_public.marketer_members
    where user_id = app_public.current_user_id()
  $$;
comment on function app_private.current_user_marketer_ids() is
  E'The marketers the signed-in user is a member of.';
