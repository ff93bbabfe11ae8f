-- Run-time settings every process agrees on (app_private.settings); a missing row is the default,
-- so a fresh database needs no rows.

create or replace function app_private.setting(setting_name text, default_value jsonb) returns jsonb
  language sql stable
  as $$ select coalesce((select value from app_private.settings where name = setting_name), default_value) $$;
comment on function app_private.setting(text, jsonb) is
  E'The value of a run-time setting, or default_value when it was never set.';

create or replace function app_private.set_setting(setting_name text, new_value jsonb) returns void
  language sql volatile
  as $$
    insert into app_private.settings (name, value) values (setting_name, new_value)
    on conflict (name) do update set value = excluded.value, updated_at = now()
  $$;
comment on function app_private.set_setting(text, jsonb) is
  E'Changes a run-time setting for every process.';
