--! Previous: sha1:4a8a80f10969c83478ec788f2c2cd6dc407744a5
--! Hash: sha1:23bbe94bfd3186a855d542b9690068c2e9d529f6
--! Message: worker heartbeats tell dead from quiet

-- Worker heartbeats tell a dead worker from a quiet one: each beat says how long a silence
-- means death (dead_after), and since when the worker has beaten without a gap (beating_since).
-- A beat from the health_ping task alone promises nothing (dead_after stays null).
alter table app_hidden.worker_heartbeats
  add column dead_after interval,
  add column beating_since timestamptz;
comment on table app_hidden.worker_heartbeats is
  E'Last sign of life of each graphile-worker pool (the id its jobs are locked by): beaten every few seconds by the process that runs it (src/worker.ts), and by the health_ping task.';
comment on column app_hidden.worker_heartbeats.dead_after is
  E'How long a silence of this worker means it is dead and its jobs may be unlocked; null when only the health_ping task beats for it (a plain graphile-worker CLI process), which is never presumed dead.';
comment on column app_hidden.worker_heartbeats.beating_since is
  E'Since when the worker has beaten without a gap longer than dead_after; null when only health_ping beats for it.';
