-- Images are shared: a file on ImageKit may go only when no row of any campaign points at it.
-- When a statement replaces or deletes image references, each image it left unreferenced gets a
-- purge_image job (keyed by image, so repeats coalesce); the task re-checks under a row lock
-- before it deletes anything.

create or replace function app_private.image_is_referenced(image_id uuid) returns boolean
  language plpgsql stable
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_table text;
  v_found boolean;
begin
  foreach v_table in array app_private.image_tables() loop
    execute format('select exists (select 1 from app_public.%I where image_id = $1)', v_table) into v_found using image_id;
    if v_found then
      return true;
    end if;
  end loop;
  return false;
end;
$$;
comment on function app_private.image_is_referenced(uuid) is
  E'True while some content row of any campaign points at the image.';

create or replace function app_private.lock_purgeable_image(image_id uuid) returns text
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_file_id text;
begin
  -- Lock first, then look: the lock waits for a row that is starting to point at the image (its
  -- foreign key check holds a share lock) to commit, and the look that follows then sees it.
  select file_id into v_file_id from app_public.images where id = image_id for update;
  if not found or app_private.image_is_referenced(image_id) then
    return null;
  end if;
  return v_file_id;
end;
$$;
comment on function app_private.lock_purgeable_image(uuid) is
  E'The ImageKit file id of the image when no row points at it any more (null otherwise), with the image row locked until the transaction ends, so no row can start pointing at it meanwhile.';

-- security definer: it fires for visitors, and must see every campaign's references (not only the
-- rows their policies show) and reach app_private.add_job.
create or replace function app_private.tg__enqueue_image_purge() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_released uuid[];
begin
  if TG_OP = 'UPDATE' then
    -- Only rows whose image changed: a mass update of other columns checks nothing.
    select array_agg(distinct old_rows.image_id) into v_released
    from old_rows join new_rows using (id)
    where old_rows.image_id is distinct from new_rows.image_id and old_rows.image_id is not null;
  else
    select array_agg(distinct image_id) into v_released from old_rows where image_id is not null;
  end if;

  perform app_private.add_job('purge_image', json_build_object('image_id', released.id),
                              job_key => 'purge_image:' || released.id, max_attempts => 10)
  from unnest(v_released) as released (id)
  where not app_private.image_is_referenced(released.id);
  return null;
end;
$$;
comment on function app_private.tg__enqueue_image_purge() is
  E'Trigger function: enqueues purge_image for each image the statement left unreferenced.';

do $$
declare
  v_table text;
begin
  foreach v_table in array app_private.image_tables() loop
    execute format('create or replace trigger _800_purge_replaced_images after update on app_public.%I
                      referencing old table as old_rows new table as new_rows for each statement
                      execute function app_private.tg__enqueue_image_purge()', v_table);
    execute format('create or replace trigger _800_purge_deleted_images after delete on app_public.%I
                      referencing old table as old_rows for each statement
                      execute function app_private.tg__enqueue_image_purge()', v_table);
  end loop;
end
$$;
