// One alert as the delivery tasks read it (sql/125_alerts.sql enqueues them), and the words they
// send. A task delivers the alert as it is when the task runs, open or resolved: a delivery
// retried after the alert cleared reports it resolved rather than raising a stale alarm.
import type pg from "pg";

export interface Alert {
  id: string;
  severity: "INFO" | "WARNING" | "CRITICAL";
  kind: string;
  message: string;
  details: unknown;
  raised_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
}

/** The alert, or undefined when it no longer exists (nothing is left to deliver). */
export async function loadAlert(client: pg.ClientBase, id: string): Promise<Alert | undefined> {
  const { rows } = await client.query<Alert>(
    "select id, severity, kind, message, details, raised_at, updated_at, resolved_at from app_public.alerts where id = $1",
    [id],
  );
  return rows[0];
}

/** `[CRITICAL] pool_low`, or `[resolved] pool_low`: an email subject. */
export function alertTitle(alert: Alert): string {
  return `[${alert.resolved_at ? "resolved" : alert.severity}] ${alert.kind}`;
}

/** One line for chat: `[CRITICAL] pool_low: … (raised …)` or `Resolved: pool_low: … (raised …, resolved …)`. */
export function alertLine(alert: Alert): string {
  const raised = `raised ${alert.raised_at.toISOString()}`;
  return alert.resolved_at
    ? `Resolved: ${alert.kind}: ${alert.message} (${raised}, resolved ${alert.resolved_at.toISOString()})`
    : `[${alert.severity}] ${alert.kind}: ${alert.message} (${raised})`;
}

/** The plain-text email body: the line, the times and the details. */
export function alertText(alert: Alert): string {
  return [
    alertLine(alert),
    "",
    `Severity:   ${alert.severity}`,
    `Raised:     ${alert.raised_at.toISOString()}`,
    `Last seen:  ${alert.updated_at.toISOString()}`,
    `Resolved:   ${alert.resolved_at?.toISOString() ?? "no, still open"}`,
    `Alert id:   ${alert.id}`,
    "",
    "Details:",
    JSON.stringify(alert.details, null, 2),
    "",
  ].join("\n");
}
