--! Previous: sha1:cd23ec99e3716c898dcc8b59ac55b527b316cd1b
--! Hash: sha1:e12f1bb3a61903697ae5423d19399372d617d2ad
--! Message: campaign lifecycle

-- Campaign lifecycle: CREATED → RUNNING → CLOSED → REWARD_CLAIM → EXPIRED on durable timers.
-- The rules (allowed transitions, what each timer does, recovery) live in sql/4xx_*.sql; this
-- migration holds the tables they work on.

create type app_public.campaign_status as enum ('CREATED', 'RUNNING', 'CLOSED', 'REWARD_CLAIM', 'EXPIRED');
comment on type app_public.campaign_status is E'Where a campaign is in its lifecycle.';

alter table app_public.campaigns
  add column status app_public.campaign_status not null default 'CREATED',
  add column metadata jsonb not null default '{}',
  add column start_time timestamptz,
  add column end_time timestamptz,
  add column duration_hours numeric
    constraint campaigns_duration_positive check (duration_hours > 0),
  add column auto_close boolean not null default true,
  add column rewards_enabled boolean not null default false,
  add column reward_claim_hours numeric not null default 72
    constraint campaigns_reward_claim_hours_positive check (reward_claim_hours > 0),
  add constraint campaigns_end_after_start check (end_time > start_time),
  add constraint campaigns_end_is_start_plus_duration
    check (end_time = start_time + duration_hours * interval '1 hour');
create index campaigns_status_idx on app_public.campaigns (status);
comment on column app_public.campaigns.status is E'Lifecycle state; changed only through the lifecycle functions (scheduleCampaign, startCampaign, ...).';
comment on column app_public.campaigns.metadata is E'Free-form data about the campaign.';
comment on column app_public.campaigns.start_time is E'When the campaign starts (RUNNING), set by scheduleCampaign.';
comment on column app_public.campaigns.end_time is E'When the campaign closes: start_time + duration_hours.';
comment on column app_public.campaigns.duration_hours is E'How long the campaign runs, in hours (fractions allowed); greater than 0.';
comment on column app_public.campaigns.auto_close is E'Whether the campaign closes by itself at end_time.';
comment on column app_public.campaigns.rewards_enabled is E'Whether participants may claim rewards after the campaign closes (CLOSED → REWARD_CLAIM).';
comment on column app_public.campaigns.reward_claim_hours is E'How long a closed campaign stays open for reward claims before it expires, in hours.';

-- Every status change, written by trigger. Range-partitioned by month; the partitions themselves
-- live in app_private (created ahead of time by a cron task), so the API shows only this table.
create table app_public.campaign_state_log (
  id uuid not null default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  from_state app_public.campaign_status not null,
  to_state app_public.campaign_status not null,
  trigger_event text not null,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);
create index campaign_state_log_campaign_id_idx on app_public.campaign_state_log (campaign_id, created_at);
create table app_private.campaign_state_log_default partition of app_public.campaign_state_log default;
comment on table app_public.campaign_state_log is E'Every status change of a campaign: from, to, what triggered it and who.';
comment on column app_public.campaign_state_log.id is E'Unique identifier of the entry.';
comment on column app_public.campaign_state_log.campaign_id is E'The campaign that changed.';
comment on column app_public.campaign_state_log.from_state is E'Status before the change.';
comment on column app_public.campaign_state_log.to_state is E'Status after the change.';
comment on column app_public.campaign_state_log.trigger_event is E'What caused it, e.g. start_campaign (a person) or timer:CLOSE_CAMPAIGN (a timer).';
comment on column app_public.campaign_state_log.metadata is E'Who changed it (user_id) or which timer (timer_id), and how long the campaign spent in from_state.';
comment on column app_public.campaign_state_log.created_at is E'When the change happened.';

-- State log rows older than a year, moved here by the archive_state_log cron task.
create table app_private.campaign_state_log_archive (
  like app_public.campaign_state_log including defaults,
  archived_at timestamptz not null default now(),
  primary key (id, created_at)
);
create index campaign_state_log_archive_campaign_id_idx on app_private.campaign_state_log_archive (campaign_id);

create type app_public.timer_type as enum ('START_CAMPAIGN', 'CLOSE_CAMPAIGN', 'EXPIRE_CAMPAIGN', 'REWARD_REMINDER');
comment on type app_public.timer_type is E'What a timer does when it fires.';
create type app_public.timer_status as enum ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');
comment on type app_public.timer_status is E'PENDING until due, RUNNING while a worker fires it, then COMPLETED, FAILED (retries used up) or CANCELLED.';

-- The durable truth about scheduled work; graphile-worker jobs (keyed by the timer id) only carry it out.
create table app_public.campaign_timers (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  timer_type app_public.timer_type not null,
  status app_public.timer_status not null default 'PENDING',
  scheduled_at timestamptz not null,
  executed_at timestamptz,
  payload jsonb not null default '{}',
  retry_count integer not null default 0
    constraint campaign_timers_retry_count_range check (retry_count between 0 and 5),
  last_error text,
  -- After a failed attempt: when the retry is due (backoff); the job runs at the later of the two.
  next_attempt_at timestamptz,
  -- The graphile-worker worker firing it while RUNNING, so recovery can free that worker's job.
  locked_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index campaign_timers_campaign_id_idx on app_public.campaign_timers (campaign_id);
create unique index campaign_timers_one_active_per_type on app_public.campaign_timers (campaign_id, timer_type)
  where status in ('PENDING', 'RUNNING');
-- A PENDING timer is due at the later of scheduled_at and next_attempt_at.
create index campaign_timers_pending_due_idx on app_public.campaign_timers ((greatest(scheduled_at, next_attempt_at)))
  where status = 'PENDING';
create index campaign_timers_running_idx on app_public.campaign_timers (updated_at) where status = 'RUNNING';
create index campaign_timers_failed_idx on app_public.campaign_timers (updated_at) where status = 'FAILED';
comment on table app_public.campaign_timers is E'Scheduled lifecycle work of a campaign; at most one active (PENDING or RUNNING) timer per campaign and type.';
comment on column app_public.campaign_timers.id is E'Unique identifier of the timer; also the key of the graphile-worker job that fires it.';
comment on column app_public.campaign_timers.campaign_id is E'The campaign it acts on.';
comment on column app_public.campaign_timers.timer_type is E'What it does when it fires.';
comment on column app_public.campaign_timers.status is E'Where the timer is: PENDING, RUNNING, COMPLETED, FAILED or CANCELLED.';
comment on column app_public.campaign_timers.scheduled_at is E'When it is due.';
comment on column app_public.campaign_timers.executed_at is E'When it completed.';
comment on column app_public.campaign_timers.payload is E'Extra data for the timer.';
comment on column app_public.campaign_timers.retry_count is E'How many failed attempts have been retried (0 to 5).';
comment on column app_public.campaign_timers.next_attempt_at is E'When the next attempt is due after a failure (retries back off); null otherwise.';
comment on column app_public.campaign_timers.last_error is E'The error of the last failed attempt.';
comment on column app_public.campaign_timers.locked_by is E'The graphile-worker worker firing it while RUNNING.';
comment on column app_public.campaign_timers.created_at is E'When the timer was created.';
comment on column app_public.campaign_timers.updated_at is E'When the timer last changed.';

create type app_public.timer_execution_status as enum ('STARTED', 'COMPLETED', 'FAILED');
comment on type app_public.timer_execution_status is E'Outcome of one attempt to fire a timer.';

create table app_public.timer_executions (
  id uuid primary key default gen_random_uuid(),
  timer_id uuid not null references app_public.campaign_timers on delete cascade,
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  status app_public.timer_execution_status not null default 'STARTED',
  result jsonb,
  error_message text,
  worker_id text,
  started_at timestamptz not null default clock_timestamp(),
  completed_at timestamptz,
  execution_time_ms numeric
);
create index timer_executions_timer_id_idx on app_public.timer_executions (timer_id, started_at);
create index timer_executions_campaign_id_idx on app_public.timer_executions (campaign_id);
create index timer_executions_started_at_idx on app_public.timer_executions (started_at);
comment on table app_public.timer_executions is E'Every attempt to fire a timer, with its outcome and duration.';
comment on column app_public.timer_executions.id is E'Unique identifier of the attempt.';
comment on column app_public.timer_executions.timer_id is E'The timer fired.';
comment on column app_public.timer_executions.campaign_id is E'The timer''s campaign.';
comment on column app_public.timer_executions.status is E'STARTED while running, then COMPLETED or FAILED.';
comment on column app_public.timer_executions.result is E'What the attempt did, e.g. {"changed": true, "from": "CREATED", "to": "RUNNING"}.';
comment on column app_public.timer_executions.error_message is E'Why the attempt failed.';
comment on column app_public.timer_executions.worker_id is E'The graphile-worker worker that ran it.';
comment on column app_public.timer_executions.started_at is E'When the attempt started.';
comment on column app_public.timer_executions.completed_at is E'When it completed or failed.';
comment on column app_public.timer_executions.execution_time_ms is E'completed_at - started_at in milliseconds.';

create type app_public.campaign_metric_type as enum (
  'ENGAGEMENT_COUNT', 'PARTICIPANT_COUNT', 'REWARD_CLAIMED', 'TIMER_EXECUTION_TIME', 'STATE_TRANSITION_TIME'
);
comment on type app_public.campaign_metric_type is E'What a campaign metric measures.';

create table app_public.campaign_metrics (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references app_public.campaigns on delete cascade,
  metric_type app_public.campaign_metric_type not null,
  value numeric not null,
  details jsonb not null default '{}',
  recorded_at timestamptz not null default now()
);
create index campaign_metrics_campaign_id_idx on app_public.campaign_metrics (campaign_id, metric_type, recorded_at);
create index campaign_metrics_recorded_at_idx on app_public.campaign_metrics (recorded_at);
comment on table app_public.campaign_metrics is E'Measurements of a campaign, written where they happen (timer durations, time spent in each state, ...).';
comment on column app_public.campaign_metrics.id is E'Unique identifier of the measurement.';
comment on column app_public.campaign_metrics.campaign_id is E'The campaign measured.';
comment on column app_public.campaign_metrics.metric_type is E'What was measured.';
comment on column app_public.campaign_metrics.value is E'The value: a count, or milliseconds for times.';
comment on column app_public.campaign_metrics.details is E'Context, e.g. the timer type or the states of a transition.';
comment on column app_public.campaign_metrics.recorded_at is E'When it was measured.';

-- Alerts for operators: at most one open alert per kind; resolved when the condition clears.
create table app_public.alerts (
  id uuid primary key default gen_random_uuid(),
  severity text not null constraint alerts_severity_known check (severity in ('INFO', 'WARNING', 'CRITICAL')),
  kind text not null,
  message text not null,
  details jsonb not null default '{}',
  raised_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  resolved_at timestamptz
);
create unique index alerts_one_open_per_kind on app_public.alerts (kind) where resolved_at is null;
create index alerts_raised_at_idx on app_public.alerts (raised_at);
comment on table app_public.alerts is E'Conditions operators must know about (a pool running dry, a timer that failed for good). Admins only.';
comment on column app_public.alerts.id is E'Unique identifier of the alert.';
comment on column app_public.alerts.severity is E'INFO, WARNING or CRITICAL.';
comment on column app_public.alerts.kind is E'What is wrong, e.g. timer_failed; at most one open alert per kind.';
comment on column app_public.alerts.message is E'What an operator reads.';
comment on column app_public.alerts.details is E'Data about the condition, e.g. the failed timers.';
comment on column app_public.alerts.raised_at is E'When the condition was first seen.';
comment on column app_public.alerts.updated_at is E'When the condition was last seen.';
comment on column app_public.alerts.resolved_at is E'When the condition cleared; null while open.';

-- Settings that every process must agree on, changed at run time (by admins or operators in psql).
create table app_private.settings (
  name text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);
comment on table app_private.settings is E'Run-time settings shared by every process; a missing row means the default.';
