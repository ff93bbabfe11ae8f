-- Copy-on-write for images: a record gets a new image row (a new file on ImageKit, uploaded first)
-- and only that record points at it; the file it shared stays for everyone else. The old image is
-- purged by the trigger in 330_image_purge.sql once nothing points at it any more.

create or replace function app_private.assert_image_table(table_name text) returns void
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if not table_name = any (app_private.image_tables()) then
    raise exception 'records of "%" have no image; expected one of: %', table_name, array_to_string(app_private.image_tables(), ', ')
      using errcode = 'CE110';
  end if;
end;
$$;
comment on function app_private.assert_image_table(text) is
  E'Raises CE110 unless records of the table have an image.';

create or replace function app_private.attach_uploaded_image(
  table_name text,
  record_id uuid,
  expected_image_id uuid,
  file_id text,
  file_path text,
  url text,
  width integer,
  height integer,
  content_hash text
) returns uuid
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_image_id uuid;
  v_updated integer;
begin
  perform app_private.assert_image_table(table_name);

  insert into app_public.images (file_id, file_path, url, width, height, content_hash)
  values (file_id, file_path, url, width, height, content_hash)
  returning id into v_image_id;

  -- Only if the record still has the image the caller saw: a concurrent replacement wins, and this
  -- whole transaction (with its image row) rolls back.
  execute format('update app_public.%I set image_id = $1 where id = $2 and image_id is not distinct from $3', table_name)
    using v_image_id, record_id, expected_image_id;
  get diagnostics v_updated = row_count;
  if v_updated = 0 then
    raise exception 'the image of % % changed while the new one was uploading; try again', table_name, record_id
      using errcode = 'CE111';
  end if;
  return v_image_id;
end;
$$;
comment on function app_private.attach_uploaded_image(text, uuid, uuid, text, text, text, integer, integer, text) is
  E'Records an uploaded file and points one record at it, if the record still has expected_image_id.';
