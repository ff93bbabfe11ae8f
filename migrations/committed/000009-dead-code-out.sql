--! Previous: sha1:8e4a2191e4c019359d1b0c8550cea300164241bd
--! Hash: sha1:34f3a4430ead96849fdd94904b793ff494ac7cbc
--! Message: dead code out

-- Dead code out: what nothing calls, writes or reads goes, so that a reader of the API and of sql/
-- meets only what is used.

-- No trigger ever named it; jobs are enqueued by the functions that cause them (app_private.add_job).
drop function if exists app_private.tg__add_job();

-- Metric kinds nothing writes. Postgres cannot drop a value of an enum, so the type is made anew
-- without them; a row of either kind (there should be none) stops the migration here.
do $$
begin
  if exists (select 1 from app_public.campaign_metrics where metric_type::text in ('ENGAGEMENT_COUNT', 'PARTICIPANT_COUNT')) then
    raise exception 'campaign_metrics has rows of kind ENGAGEMENT_COUNT or PARTICIPANT_COUNT: delete or keep them before dropping the kinds';
  end if;
end;
$$;
create type app_public.campaign_metric_type_new as enum ('REWARD_CLAIMED', 'TIMER_EXECUTION_TIME', 'STATE_TRANSITION_TIME');
alter table app_public.campaign_metrics
  alter column metric_type type app_public.campaign_metric_type_new using metric_type::text::app_public.campaign_metric_type_new;
drop type app_public.campaign_metric_type;
alter type app_public.campaign_metric_type_new rename to campaign_metric_type;
comment on type app_public.campaign_metric_type is
  E'What a campaign metric measures: REWARD_CLAIMED (the amount of a claimed offer), TIMER_EXECUTION_TIME and STATE_TRANSITION_TIME (milliseconds).';

-- Never read or written: free-form data belongs in a column that says what it is.
alter table app_public.campaigns drop column metadata;
