// What an event stream missed: the stored events (sql/655_campaign_event_history.sql) of its
// campaign:<id> and marketer:<id>:campaigns channels after a cursor, read as the stream's user, in
// the shape they are sent live. Cursors follow commit order across all campaigns, so one cursor
// (the stream's Last-Event-ID) covers every channel of a stream.

import type { Claims } from "../auth/jwt.ts";
import type { VisitorQueries } from "../db/as-visitor.ts";
import { CAMPAIGN_CHANNEL, MARKETER_CHANNEL } from "../notifications/channels.ts";
import type { Payload } from "../notifications/hub.ts";

export interface StoredEvent {
  channel: string;
  payload: Payload;
  cursor: number;
}

const CURSOR_IN_PAYLOAD = /"cursor":(\d+)/;
/** Codes of a cursor the history cannot answer for: not one (CE401), or older than it keeps (CE402). */
const CURSOR_REFUSALS = new Set(["CE401", "CE402"]);
/** The most events a stream replays; one that missed more reads a snapshot instead. */
export const REPLAY_LIMIT = 500;

/** A replay the history will not do: the cursor is not one, is too old, or too much was missed. */
export class ReplayRefused extends Error {}

/** The cursor a payload carries (stored events do; resync and pool events do not). */
export function cursorOf(payload: Payload): number | undefined {
  const match = CURSOR_IN_PAYLOAD.exec(payload);
  return match ? Number(match[1]) : undefined;
}

/** A Last-Event-ID as a cursor: a plain non-negative integer, or undefined for anything else. */
export function parseCursor(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

export class EventHistory {
  private readonly visitor: VisitorQueries;

  constructor(visitor: VisitorQueries) {
    this.visitor = visitor;
  }

  /** Whether events of `channel` are stored, so a stream of it can be replayed. */
  static keeps(channel: string): boolean {
    return CAMPAIGN_CHANNEL.test(channel) || MARKETER_CHANNEL.test(channel);
  }

  /**
   * The events of `channels` after `cursor` that `claims` may see, in commit order; a ReplayRefused
   * when the cursor is not one or is older than the history, or more than REPLAY_LIMIT followed it.
   */
  async after(claims: Claims, channels: string[], cursor: number): Promise<StoredEvent[]> {
    try {
      const events = await this.read(claims, channels, cursor);
      if (events.length > REPLAY_LIMIT) {
        throw new ReplayRefused(`more than ${REPLAY_LIMIT} events followed cursor ${cursor}: read a snapshot instead`);
      }
      return events;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && CURSOR_REFUSALS.has(code)) throw new ReplayRefused((error as Error).message);
      throw error;
    }
  }

  private async read(claims: Claims, channels: string[], cursor: number): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    for (const channel of channels) {
      const campaign = CAMPAIGN_CHANNEL.exec(channel);
      const marketer = MARKETER_CHANNEL.exec(channel);
      if (!campaign && !marketer) continue;
      const rows = await this.visitor.query<{ cursor: string; payload: string }>(
        claims,
        campaign
          ? "select e.cursor, app_public.campaign_event_payload(e) as payload from unnest(app_public.campaign_events($1, $2, $3)) e"
          : "select e.cursor, app_public.campaign_event_payload(e) as payload from unnest(app_public.marketer_campaign_events($1, $2, $3)) e",
        [(campaign ?? marketer)![1], cursor, REPLAY_LIMIT + 1],
      );
      for (const row of rows) events.push({ channel, payload: row.payload, cursor: Number(row.cursor) });
    }
    return events.sort((a, b) => a.cursor - b.cursor);
  }
}
