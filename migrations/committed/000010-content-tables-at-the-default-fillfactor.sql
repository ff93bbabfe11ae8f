--! Previous: sha1:34f3a4430ead96849fdd94904b793ff494ac7cbc
--! Hash: sha1:55a029f88b25736efddbfe4302adbd88967da59f
--! Message: content tables at the default fillfactor

-- A pool hand-over no longer rewrites its content rows' timestamps (the API shows the later of a
-- row's time and its campaign's activation, sql/112_content_shown_times.sql), so the room that
-- fillfactor 45 kept free on every page, for those updates to stay HOT, is only waste. The tables
-- go back to the default and are rewritten (CLUSTER: allowed in this transaction, unlike VACUUM
-- FULL) so that their pages are packed; the clustering mark CLUSTER leaves is removed again.
do $$
declare
  v_table text;
begin
  foreach v_table in array array['factions', 'junctures', 'schticks', 'weapons', 'characters', 'vehicles',
                                 'sites', 'parties', 'character_schticks', 'carries'] loop
    execute format('alter table app_public.%I reset (fillfactor)', v_table);
    execute format('cluster app_public.%I using %I', v_table, v_table || '_pkey');
    execute format('alter table app_public.%I set without cluster', v_table);
  end loop;
end
$$;
