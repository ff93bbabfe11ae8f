-- Email for major events: an owner of a marketer who asks for it (setMarketerCampaignEmails) is
-- emailed when a campaign of the marketer starts running (a launch, or its start time), closes or
-- expires. The change enqueues send_campaign_email in its own transaction (tasks/send_campaign_email.ts
-- sends it through the SMTP server the alerts use), only when some owner asked.

create or replace function app_public.set_marketer_campaign_emails(marketer_id uuid, enabled boolean) returns app_public.marketer_members
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
declare
  v_membership app_public.marketer_members;
begin
  perform app_private.lock_marketer_to_manage(marketer_id, owners_only => true);
  update app_public.marketer_members m set email_campaign_events = coalesce(enabled, false)
   where m.marketer_id = set_marketer_campaign_emails.marketer_id and m.user_id = app_public.current_user_id() and m.role = 'owner'
  returning * into v_membership;
  if not found then
    raise exception 'only the owners of marketer % may do that', marketer_id using errcode = 'CE211';
  end if;
  return v_membership;
end;
$$;
comment on function app_public.set_marketer_campaign_emails(uuid, boolean) is
  E'Owners: whether they are emailed when a campaign of the marketer starts running, closes or expires.';

-- security definer: it fires for visitors who launch or close their campaigns, and adding a job
-- names app_private.
create or replace function app_private.tg_campaigns__email_owners() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if exists (select 1 from app_public.marketer_members
              where marketer_id = NEW.marketer_id and role = 'owner' and email_campaign_events) then
    perform app_private.add_job('send_campaign_email',
      json_build_object('campaign_id', NEW.id, 'from_state', OLD.status, 'to_state', NEW.status));
  end if;
  return null;
end;
$$;
comment on function app_private.tg_campaigns__email_owners() is
  E'Trigger function: enqueues send_campaign_email when a campaign of a marketer whose owners asked for it starts running, closes or expires.';

create or replace trigger _620_email_owners after update of status on app_public.campaigns
  for each row when (OLD.status is distinct from NEW.status and NEW.marketer_id is not null
                     and NEW.status in ('RUNNING', 'CLOSED', 'EXPIRED'))
  execute function app_private.tg_campaigns__email_owners();
