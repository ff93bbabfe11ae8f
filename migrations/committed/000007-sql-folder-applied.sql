--! Previous: sha1:23bbe94bfd3186a855d542b9690068c2e9d529f6
--! Hash: sha1:359ef683f6e589199abf34c10b8718e5458ecd1f
--! Message: sql folder applied

-- What sql/ was last applied: a hash of its files, so that a process starting (npm start, npm run
-- worker) re-applies the folder only when it changed, instead of taking strong locks (policies,
-- triggers) on busy tables at every start under load. `npm run migrate` always re-applies it.
create table app_hidden.sql_folder_applied (
  only_row boolean primary key default true constraint sql_folder_applied_one_row check (only_row),
  hash text not null,
  applied_at timestamptz not null default now()
);
comment on table app_hidden.sql_folder_applied is E'The hash of the sql/ folder last applied, and when (one row).';
