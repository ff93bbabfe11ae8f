// send_alert_email { alert_id }: emails the alert, as it is now (open or resolved), to
// ALERT_EMAIL_TO through the SMTP server of SMTP_HOST/SMTP_PORT; enqueued by sql/125_alerts.sql
// when an alert is raised or resolved. A failed send throws, so graphile-worker retries it with
// backoff (up to 10 attempts). Without ALERT_EMAIL_TO it does nothing.
import type { Task } from "graphile-worker";
import nodemailer from "nodemailer";
import { alertText, alertTitle, loadAlert } from "../src/alerts/alert.ts";
import { alertDeliveryConfig } from "../src/config.ts";
import { isUuid } from "../src/uuid.ts";

const task: Task = async (payload, helpers) => {
  const alertId = (payload as { alert_id?: unknown } | null)?.alert_id;
  if (!isUuid(alertId)) {
    throw new Error(`send_alert_email needs {"alert_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  const { emailTo: to, emailFrom: from, smtp } = alertDeliveryConfig();
  if (!to) {
    helpers.logger.debug(`ALERT_EMAIL_TO is not set: alert ${alertId} is not emailed`);
    return;
  }
  const alert = await helpers.withPgClient((client) => loadAlert(client, alertId));
  if (!alert) return; // deleted since: nothing left to report

  // One connection per alert: alerts are rare, and a fresh transport picks up changed settings.
  const transport = nodemailer.createTransport(smtp);
  try {
    await transport.sendMail({ from, to, subject: alertTitle(alert), text: alertText(alert) });
  } finally {
    transport.close();
  }
  helpers.logger.info(`alert ${alert.kind} (${alertId}) emailed to ${to}`);
};

export default task;
