// send_alert_webhook { alert_id }: POSTs the alert, as it is now (open or resolved), to the
// Slack-compatible webhook ALERT_WEBHOOK_URL; enqueued by sql/125_alerts.sql when an alert is
// raised or resolved. A failed or refused POST throws, so graphile-worker retries it with backoff
// (up to 10 attempts). Without ALERT_WEBHOOK_URL it does nothing.
import type { Task } from "graphile-worker";
import { alertLine, loadAlert } from "../src/alerts/alert.ts";
import { alertDeliveryConfig } from "../src/config.ts";
import { isUuid } from "../src/uuid.ts";

// Slack's attachment colours: the bar beside the message.
const COLORS = { INFO: "#439fe0", WARNING: "warning", CRITICAL: "danger" } as const;

const task: Task = async (payload, helpers) => {
  const alertId = (payload as { alert_id?: unknown } | null)?.alert_id;
  if (!isUuid(alertId)) {
    throw new Error(`send_alert_webhook needs {"alert_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  const url = alertDeliveryConfig().webhookUrl;
  if (!url) {
    helpers.logger.debug(`ALERT_WEBHOOK_URL is not set: alert ${alertId} is not posted`);
    return;
  }
  const alert = await helpers.withPgClient((client) => loadAlert(client, alertId));
  if (!alert) return; // deleted since: nothing left to report

  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      text: alertLine(alert),
      attachments: [{ color: alert.resolved_at ? "good" : COLORS[alert.severity], text: JSON.stringify(alert.details) }],
    }),
    // A receiver that never answers must not hold a worker slot: time out, throw, retry later.
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) {
    // The URL itself stays out of the error: a Slack webhook URL is a secret.
    const body = (await response.text()).slice(0, 200);
    throw new Error(`alert webhook answered ${response.status} ${response.statusText}: ${body}`);
  }
  helpers.logger.info(`alert ${alert.kind} (${alertId}) posted to the webhook`);
};

export default task;
