-- Template versions. Admins edit the master template's content in place (the generated
-- mutations); nothing of it reaches new campaigns until it is published. Publishing freezes the
-- content as the next version: a copy in a campaign of its own (is_template_version), which every
-- new campaign is then seeded from (sql/320_seed_campaign.sql), recording the version. The first
-- version is published when the template is loaded.

-- What the content of a campaign is: how many rows of each content table, and one hash of every
-- row without the columns that say where and when it was written (campaign_id, created_at,
-- updated_at). The master template's row ids never change, so an edit, an insert or a delete
-- changes the hash; an edit that puts a value back does not.
create or replace function app_private.content_summary(of_campaign_id uuid, out fingerprint text, out row_counts jsonb)
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_table text;
  v_count bigint;
  v_hash text;
  v_hashes text := '';
begin
  row_counts := '{}';
  foreach v_table in array app_private.content_tables() loop
    execute format(
      'select count(*), coalesce(md5(string_agg(md5(row_text), '''' order by row_text)), '''') from (
         select (to_jsonb(t) - ''campaign_id'' - ''created_at'' - ''updated_at'')::text as row_text
           from app_public.%I t where t.campaign_id = $1) as content_rows', v_table)
      into v_count, v_hash using of_campaign_id;
    row_counts := row_counts || jsonb_build_object(v_table, v_count);
    v_hashes := v_hashes || v_table || ':' || v_hash || ';';
  end loop;
  fingerprint := md5(v_hashes);
end;
$$;
comment on function app_private.content_summary(uuid) is
  E'A campaign''s content in brief: a hash of every content row (without campaign_id and timestamps), equal when the content is, and the rows per table.';

-- What new campaigns are seeded from: the latest version (null before the first). One refusal
-- (CE101) for a database whose template was never loaded: loading it publishes the first version.
create or replace function app_private.latest_template_version() returns integer
  language sql stable
  as $$ select max(version) from app_public.template_versions $$;
comment on function app_private.latest_template_version() is
  E'The number of the latest published template version; null when none was published.';

create or replace function app_private.current_template_version() returns app_public.template_versions
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_version app_public.template_versions;
begin
  select * into v_version from app_public.template_versions where version = app_private.latest_template_version();
  if not found then
    raise exception 'there is no master template to seed from: no version of it was published'
      using errcode = 'CE101', hint = 'Load it with: npm run template:load';
  end if;
  return v_version;
end;
$$;
comment on function app_private.current_template_version() is
  E'The latest published template version, which new campaigns are seeded from; raises CE101 when there is none.';

-- Campaigns that hold template content rather than anyone's game: the master template and the
-- versions' frozen copies. Maintenance and the ops views leave them out.
create or replace function app_private.is_template(campaign app_public.campaigns) returns boolean
  language sql immutable parallel safe
  as $$ select campaign.is_master_template or campaign.is_template_version $$;
comment on function app_private.is_template(app_public.campaigns) is
  E'Whether the campaign is the master template or a published version of it (no one''s game).';

create or replace function app_public.master_template_changed() returns boolean
  language plpgsql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_template app_public.campaigns;
begin
  perform app_private.assert_admin();
  v_template := app_private.master_template();
  return (app_private.content_summary(v_template.id)).fingerprint is distinct from
         (select content_fingerprint from app_public.template_versions where version = app_private.latest_template_version());
end;
$$;
comment on function app_public.master_template_changed() is
  E'Admins only. Whether the master template''s content changed since its last published version (publishTemplate makes it the next).';

-- security definer: the version's campaign and its content are written as the owner; the caller
-- is checked first (admins, and an operator's psql session).
create or replace function app_public.publish_template(note text default '') returns app_public.template_versions
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_template app_public.campaigns;
  v_latest app_public.template_versions;
  v_content record;
  v_number integer;
  v_content_campaign uuid;
  v_version app_public.template_versions;
begin
  perform app_private.assert_admin();
  -- One publish at a time: the second waits, then finds nothing left to publish.
  lock table app_public.template_versions in share row exclusive mode;
  v_template := app_private.master_template();
  select * into v_latest from app_public.template_versions where version = app_private.latest_template_version();
  v_content := app_private.content_summary(v_template.id);
  if v_latest.content_fingerprint = v_content.fingerprint then
    raise exception 'nothing to publish: the master template has not changed since version %', v_latest.version
      using errcode = 'CE105', hint = 'Edit the master template''s content first.';
  end if;

  v_number := coalesce(v_latest.version, 0) + 1;
  insert into app_public.campaigns (user_id, name, description, is_template_version, seeded_at)
  values (v_template.user_id, 'Master template, version ' || v_number,
          coalesce(nullif(publish_template.note, ''), 'A published version of the master template.'), true, now())
  returning id into v_content_campaign;
  perform app_private.copy_content(v_template.id, v_content_campaign);

  insert into app_public.template_versions (version, published_by, note, row_counts, content_fingerprint, content_campaign_id)
  values (v_number, app_public.current_user_id(), coalesce(publish_template.note, ''),
          v_content.row_counts, v_content.fingerprint, v_content_campaign)
  returning * into v_version;
  update app_public.campaigns set template_version = v_version.version where id = v_content_campaign;
  -- The rolling refresh: the pools' campaigns of older versions are replaced by their refills.
  perform app_private.enqueue_pool_refill('master', refill_now => true);
  perform app_private.enqueue_pool_refill('user', user_id, refill_now => true)
     from app_public.campaigns where is_pool and pool_type = 'user';
  perform pg_notify('pool', json_build_object('event', 'template_published', 'version', v_version.version)::text);
  return v_version;
end;
$$;
comment on function app_public.publish_template(text) is
  E'Admins only. Publishes the master template''s current content as the next version, which campaigns created from now on are seeded from; CE105 when nothing changed since the last.';

alter table app_public.template_versions enable row level security;
drop policy if exists select_admin on app_public.template_versions;
create policy select_admin on app_public.template_versions for select using (app_private.current_user_may_administer());
grant select on app_public.template_versions to campaign_engine_visitor;
