// Long-lived streams (GraphQL subscriptions over websockets, the pages' event streams) re-check
// their right to exist, without polling:
// - when the database says a user's rights shrank: NOTIFY `rights` (sql/135_rights_notifications.sql)
//   names the users who left a marketer, lost admin or were deleted; each of their streams then
//   authenticates its token again (which re-reads is_admin) and asks again whether it may still
//   listen to its channels;
// - when its token expires: one timer per stream, set to the token's exp.
// After the LISTEN connection comes back (`resync`), every stream re-checks: a notification may
// have been missed. Whether a user may listen to a channel is asked as the visitor, on the API's
// own login, so row-level security answers it exactly as it answers the stream's subscription.

import type { Authenticate } from "../auth/authenticate.ts";
import { type Claims, TokenError } from "../auth/jwt.ts";
import type { VisitorQueries } from "../db/as-visitor.ts";
import { LIMIT_CODES } from "../graphql/limits.ts";
import { CAMPAIGN_CHANNEL, MARKETER_CHANNEL } from "../notifications/channels.ts";
import { type NotificationHub, RESYNC_PAYLOAD } from "../notifications/hub.ts";

export const RIGHTS_CHANNEL = "rights";
// setTimeout's longest delay (about 24.8 days); a later expiry is re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

const ADMIN_CHANNELS = new Set(["pool", "timers"]);

export interface StreamEnd {
  code: typeof LIMIT_CODES.rightsRevoked | typeof LIMIT_CODES.tokenExpired;
  message: string;
}

export interface WatchedStream {
  /** The claims the stream was opened with (its user, and its token's exp). */
  claims: Claims;
  /** The credentials it was opened with, authenticated again at each re-check. */
  credentials: string;
  /**
   * The user's rights changed: `current` are their claims now. Ends what may no longer go on;
   * `mayListen` answers for a channel.
   */
  recheck(current: Claims): Promise<void>;
  /** Ends the whole stream (its token expired or no longer authenticates). */
  end(reason: StreamEnd): void;
  /**
   * `version` as it was before the stream's right was first checked: a notification that arrived
   * since (before the stream was watched) makes it re-check at once.
   */
  checkedAt?: number;
}

export class StreamRights {
  private readonly byUser = new Map<string, Set<WatchedStream>>();
  private notifications = 0;
  private readonly visitor: VisitorQueries;
  private stopListening: (() => Promise<void>) | undefined;

  private readonly options: { hub: NotificationHub; authenticate: Authenticate; visitor: VisitorQueries };

  constructor(options: { hub: NotificationHub; authenticate: Authenticate; visitor: VisitorQueries }) {
    this.options = options;
    this.visitor = options.visitor;
  }

  async start(): Promise<void> {
    this.stopListening = await this.options.hub.listen(RIGHTS_CHANNEL, (payload) => this.onNotification(payload));
  }

  async close(): Promise<void> {
    await this.stopListening?.();
  }

  /** May these claims listen to `channel`? The row it is about, selected as the visitor. */
  async mayListen(claims: Claims | null, channel: string): Promise<boolean> {
    if (ADMIN_CHANNELS.has(channel)) return claims?.is_admin === true;
    const campaign = CAMPAIGN_CHANNEL.exec(channel);
    const marketer = MARKETER_CHANNEL.exec(channel);
    if (!campaign && !marketer) return false;
    const [row] = campaign
      ? await this.visitor.query<{ allowed: boolean }>(
          claims,
          "select exists (select 1 from app_public.campaigns where id = $1) as allowed",
          [campaign[1]],
        )
      : await this.visitor.query<{ allowed: boolean }>(
          claims,
          "select exists (select 1 from app_public.marketers where id = $1) as allowed",
          [marketer![1]],
        );
    return row!.allowed;
  }

  /**
   * How many notifications arrived so far. Read it before checking a stream's right, and pass it
   * to watch() as `checkedAt`: a change between the check and the watch is not missed.
   */
  get version(): number {
    return this.notifications;
  }

  /** The claims `credentials` carry now (admin rights re-read), or null when they are no longer accepted. */
  async claimsNow(credentials: string): Promise<Claims | null> {
    try {
      return await this.options.authenticate(credentials);
    } catch (error) {
      if (error instanceof TokenError) return null;
      throw error;
    }
  }

  /** Re-checks `stream` now, as a notification naming its user would. */
  recheckNow(stream: WatchedStream): Promise<void> {
    return this.recheck(stream);
  }

  /** Follows `stream`'s rights until the returned function is called. */
  watch(stream: WatchedStream): () => void {
    const userId = stream.claims.sub;
    const streams = this.byUser.get(userId) ?? new Set();
    this.byUser.set(userId, streams);
    streams.add(stream);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (stream.claims.exp === undefined) return;
      const left = stream.claims.exp * 1000 - Date.now();
      timer =
        left > MAX_TIMER_MS
          ? setTimeout(arm, MAX_TIMER_MS)
          : setTimeout(
              () =>
                stream.end({
                  code: LIMIT_CODES.tokenExpired,
                  message: `your token expired at ${new Date(stream.claims.exp! * 1000).toISOString()}: sign in again`,
                }),
              Math.max(0, left),
            );
    };
    arm();
    if (stream.checkedAt !== undefined && stream.checkedAt !== this.notifications) void this.recheck(stream);
    return () => {
      clearTimeout(timer);
      streams.delete(stream);
      if (streams.size === 0 && this.byUser.get(userId) === streams) this.byUser.delete(userId);
    };
  }

  private onNotification(payload: string) {
    this.notifications += 1;
    let userIds: string[];
    if (payload === RESYNC_PAYLOAD) {
      userIds = [...this.byUser.keys()];
    } else {
      try {
        const parsed = JSON.parse(payload) as { user_ids?: unknown };
        userIds = Array.isArray(parsed.user_ids) ? parsed.user_ids.filter((id): id is string => typeof id === "string") : [];
      } catch {
        return console.error(`rights: unreadable notification ${payload.slice(0, 200)}`);
      }
    }
    for (const userId of userIds) {
      for (const stream of this.byUser.get(userId) ?? []) void this.recheck(stream);
    }
  }

  private async recheck(stream: WatchedStream): Promise<void> {
    try {
      const current = await this.options.authenticate(stream.credentials);
      if (!current) throw new TokenError("the stream has no credentials");
      await stream.recheck(current);
    } catch (error) {
      if (error instanceof TokenError) {
        const expired = /expired/.test(error.message);
        return stream.end({
          code: expired ? LIMIT_CODES.tokenExpired : LIMIT_CODES.rightsRevoked,
          message: `your token is no longer accepted: ${error.message}`,
        });
      }
      // The database could not answer: the stream goes on, and re-checks at the next resync.
      console.error(`rights: could not re-check a stream of user ${stream.claims.sub}: ${(error as Error).message}`);
    }
  }
}

/** The end of a stream whose user may no longer listen to `channel`. */
export function revoked(channel: string): StreamEnd {
  const campaign = CAMPAIGN_CHANNEL.exec(channel);
  const marketer = MARKETER_CHANNEL.exec(channel);
  const message = campaign
    ? `you may no longer see campaign ${campaign[1]} (you left its marketer, or lost admin rights)`
    : marketer
      ? `you may no longer follow marketer ${marketer[1]}: you are not one of its members any more, nor an admin`
      : `you may no longer follow the ${channel} events: you are not an admin any more`;
  return { code: LIMIT_CODES.rightsRevoked, message };
}
