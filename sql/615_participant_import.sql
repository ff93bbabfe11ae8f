-- Importing participants, all or nothing: rows go into a staging table of the importing
-- transaction (begin_participant_import), by COPY from a CSV file (`npm run participants:import`,
-- src/participants/import.ts) or from GraphQL (importParticipants, up to 1,000 rows); the problems
-- of every bad row are listed by line (participant_import_problems); if there are none, one
-- set-based upsert by external_id merges them (merge_participant_import). A row whose tags and
-- user are already those of its participant is left alone, so importing a file twice changes
-- nothing the second time. New participants are named by their external_id.
--
-- CSV: a header naming the columns external_id,tags or external_id,tags,email; tags separated by
-- `;` (surrounding spaces, empty tags and repeats dropped, kept sorted). A line is a row's number
-- in the file, the header being line 1.

create or replace function app_private.begin_participant_import(first_line integer default 2) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  -- One import at a time: the checks of one cannot see the rows of another still uncommitted (two
  -- linking the same email would then meet only at the unique index, as a bare 23505).
  perform pg_advisory_xact_lock(hashtextextended('participant_import', 0));
  create temp table if not exists participant_import (
    line bigint generated always as identity,
    external_id text,
    tags_text text,
    tags text[],
    email text
  ) on commit drop;
  truncate pg_temp.participant_import;
  execute format('alter table pg_temp.participant_import alter column line restart with %s', first_line);
end;
$$;
comment on function app_private.begin_participant_import(integer) is
  E'Creates the importing transaction''s staging table, pg_temp.participant_import (gone at commit), numbering rows from first_line (a CSV''s first row is line 2): COPY fills external_id, tags_text and email; importParticipants fills tags. Then stage_participant_import.';

create or replace function app_private.tag_list(tags text[]) returns text[]
  language sql immutable
  set search_path = pg_catalog, public, pg_temp
  as $$
    select coalesce(array_agg(distinct trimmed order by trimmed) filter (where trimmed <> ''), '{}')
      from unnest(tags) as tag, app_private.unicode_trim(tag) as trimmed
  $$;
comment on function app_private.tag_list(text[]) is
  E'Tags as a participant keeps them: trimmed, without empty ones and repeats, sorted.';

-- The staged rows as the checks and the merge read them: trimmed, emails in lower case, a CSV
-- tags field split at `;` and then as tag_list does it, inline (a million calls of tag_list took
-- 24 s, the same work as a subquery of this one statement 4).
create or replace function app_private.stage_participant_import() returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  create temp table if not exists participant_import_rows (line bigint, external_id text, tags text[], email text) on commit drop;
  truncate pg_temp.participant_import_rows;
  insert into pg_temp.participant_import_rows (line, external_id, tags, email)
  select i.line, app_private.unicode_trim(i.external_id),
         coalesce(i.tags, (select coalesce(array_agg(distinct trimmed order by trimmed) filter (where trimmed <> ''), '{}')
                             from unnest(string_to_array(i.tags_text, ';')) as tag, app_private.unicode_trim(tag) as trimmed)),
         lower(nullif(app_private.unicode_trim(i.email), ''))
    from pg_temp.participant_import i;
  analyze pg_temp.participant_import_rows;
end;
$$;
comment on function app_private.stage_participant_import() is
  E'Turns the staged rows into pg_temp.participant_import_rows (line, external_id, tags, email), trimmed and with tags split, sorted and without repeats.';

-- Each row once, with the first line of its external_id and of its email (window functions: the
-- checks stay one sort each for a million rows).
create or replace function app_private.participant_import_problems(max_problems integer default 100, unit text default 'line')
  returns table (line bigint, problem text)
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  return query
    with staged as (
      select s.line, s.external_id, s.tags, s.email,
             min(s.line) over (partition by s.external_id) as first_of_id,
             min(s.line) over (partition by s.email) as first_of_email
        from pg_temp.participant_import_rows s
    ), problems as (
      select s.line, 'external_id is empty' as problem from staged s where s.external_id is null or s.external_id = ''
      union all
      select s.line, format('external_id has %s characters, more than 200', char_length(s.external_id))
        from staged s where char_length(s.external_id) > 200
      union all
      select s.line, format('external_id %s is on %s %s too', s.external_id, unit, s.first_of_id)
        from staged s where s.external_id <> '' and s.first_of_id < s.line
      union all
      select s.line, format('%s tags, more than 50', cardinality(s.tags)) from staged s where cardinality(s.tags) > 50
      union all
      select s.line, format('tag "%s…" has %s characters, more than 100', left(tag, 20), char_length(tag))
        from staged s, unnest(s.tags) as tag
       -- Only a row whose tags are over 100 characters together can have one that is.
       where char_length(array_to_string(s.tags, ';')) > 100 and char_length(tag) > 100
      union all
      select s.line, format('email "%s" is not an address', left(s.email, 100)) from staged s where not app_private.is_email_address(s.email)
      union all
      select s.line, format('email %s is on %s %s too', s.email, unit, s.first_of_email)
        from staged s where s.email is not null and s.first_of_email < s.line
      union all
      select s.line, format('email %s is the user of participant %s already', s.email, coalesce(p.external_id, p.name))
        from staged s
        join app_public.users u on u.email = s.email
        join app_public.participants p on p.user_id = u.id and p.external_id is distinct from s.external_id
    )
    select p.line, p.problem from problems p order by p.line, p.problem limit max_problems;
end;
$$;
comment on function app_private.participant_import_problems(integer, text) is
  E'The problems of the staged rows, by line: empty or over-long external_id, one twice in the import, over 50 tags or one over 100 characters, a malformed email, one twice, or one whose user is another participant.';

create or replace function app_private.merge_participant_import() returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_rows bigint;
  v_inserted bigint;
  v_updated bigint;
begin
  select count(*) into v_rows from pg_temp.participant_import_rows;
  -- An email nobody has signed in with yet becomes a user, as `npm run token` makes one.
  insert into app_public.users (email)
  select distinct email from pg_temp.participant_import_rows where email is not null
  on conflict on constraint users_email_unique do nothing;

  -- Only rows that change something reach the upsert: one hash join of the import with the
  -- participants instead of a unique-index probe for each unchanged row (1.5 s, not 13, for a
  -- million).
  with staged as (
    select s.external_id, s.tags, u.id as user_id
      from pg_temp.participant_import_rows s
      left join app_public.users u on u.email = s.email
      left join app_public.participants p on p.external_id = s.external_id
     where p.id is null or p.tags is distinct from s.tags or (u.id is not null and p.user_id is distinct from u.id)
  ), merged as (
    insert into app_public.participants as p (external_id, name, tags, user_id)
    select external_id, external_id, tags, user_id from staged
    on conflict on constraint participants_external_id_unique do update
      set tags = excluded.tags, user_id = coalesce(excluded.user_id, p.user_id)
      where p.tags is distinct from excluded.tags or (excluded.user_id is not null and p.user_id is distinct from excluded.user_id)
    returning xmax = 0 as inserted
  )
  select count(*) filter (where inserted), count(*) filter (where not inserted) into v_inserted, v_updated from merged;
  return jsonb_build_object('rows', v_rows, 'inserted', v_inserted, 'updated', v_updated, 'unchanged', v_rows - v_inserted - v_updated);
end;
$$;
comment on function app_private.merge_participant_import() is
  E'Merges the staged rows (without problems) into participants by external_id, in one upsert; returns how many rows were inserted, updated and left as they were.';

-- security definer: admins only (checked first); it writes participants and users.
create or replace function app_public.import_participants(participants app_public.participant_row[]) returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_problems text;
begin
  perform app_private.assert_admin();
  if coalesce(cardinality(participants), 0) > 1000 then
    raise exception 'participants has % rows, more than 1000 (import larger files with npm run participants:import)',
      cardinality(participants) using errcode = 'CE005';
  end if;
  perform app_private.begin_participant_import(first_line => 1);
  insert into pg_temp.participant_import (external_id, tags, email)
  select r.external_id, app_private.tag_list(coalesce(r.tags, '{}')), r.email
    from unnest(participants) with ordinality as r(external_id, tags, email, n) order by r.n;
  perform app_private.stage_participant_import();
  select string_agg(format('row %s: %s', line, problem), '; ') into v_problems from app_private.participant_import_problems(20, 'row');
  if v_problems is not null then
    raise exception 'nothing imported: %', v_problems using errcode = 'CE005';
  end if;
  return app_private.merge_participant_import();
end;
$$;
comment on function app_public.import_participants(app_public.participant_row[]) is
  E'Admins: imports up to 1,000 participants by external_id, all or nothing; returns how many were inserted, updated and left as they were.';
