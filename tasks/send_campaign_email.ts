// send_campaign_email { campaign_id, from_state, to_state }: emails the owners of the campaign's
// marketer who asked for it (setMarketerCampaignEmails) that it started running, closed or
// expired; enqueued by sql/635_campaign_emails.sql. One email per owner, through the SMTP server
// the alerts use (SMTP_HOST, SMTP_PORT, …); without SMTP_HOST it does nothing. A failed send
// throws, so graphile-worker retries it with backoff.
import type { Task } from "graphile-worker";
import nodemailer from "nodemailer";
import { alertDeliveryConfig } from "../src/config.ts";
import { isUuid } from "../src/uuid.ts";

const WHAT_HAPPENED: Record<string, string> = { RUNNING: "is running", CLOSED: "has closed", EXPIRED: "has expired" };

const task: Task = async (payload, helpers) => {
  const { campaign_id: campaignId, to_state: toState } = (payload ?? {}) as { campaign_id?: unknown; to_state?: unknown };
  if (!isUuid(campaignId) || typeof toState !== "string") {
    throw new Error(`send_campaign_email needs {"campaign_id": "<uuid>", "to_state": "…"}, got ${JSON.stringify(payload)}`);
  }
  if (!process.env.SMTP_HOST) {
    helpers.logger.debug(`SMTP_HOST is not set: campaign ${campaignId} ${toState} is not emailed`);
    return;
  }
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ campaign: string; marketer: string; email: string }>(
      `select c.name as campaign, mk.name as marketer, u.email
         from app_public.campaigns c
         join app_public.marketers mk on mk.id = c.marketer_id
         join app_public.marketer_members m on m.marketer_id = mk.id and m.role = 'owner' and m.email_campaign_events
         join app_public.users u on u.id = m.user_id
        where c.id = $1 order by u.email`,
      [campaignId],
    ),
  );
  const { emailFrom: from, smtp } = alertDeliveryConfig();
  const transport = nodemailer.createTransport(smtp);
  try {
    for (const { campaign, marketer, email } of rows) {
      const happened = WHAT_HAPPENED[toState] ?? `is now ${toState}`;
      await transport.sendMail({
        from,
        to: email,
        subject: `${campaign} ${happened}`,
        text: `The campaign "${campaign}" of ${marketer} ${happened} (${toState}).\n\nYou get this email because you asked for one when a campaign of ${marketer} starts, closes or expires.`,
      });
    }
  } finally {
    transport.close();
  }
  helpers.logger.info(`campaign ${campaignId} ${toState}: emailed ${rows.length} owners`);
};

export default task;
