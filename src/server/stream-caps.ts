// How many long-lived connections (websockets and event streams) are held, and by whom:
// - per signed-in user, and per address for websockets that have not said who they are (or never
//   will): a client at its cap is refused (HTTP 429, or websocket close 1013 "try again later")
//   until one of its streams closes;
// - per process (MAX_OPEN_STREAMS): past it every new stream is refused (HTTP 503 with
//   Retry-After, or close 1013) so that a full server says so rather than failing some streams at
//   random; a load balancer or the client's retry finds another process.
import type { Limits } from "../config.ts";
import { LIMIT_CODES } from "../graphql/limits.ts";

export type Holder = { userId: string } | { address: string };
/** What a place is for: a websocket, or an event stream (server-sent events). */
export type StreamKind = "websocket" | "event_stream";

export interface StreamRefusal {
  status: 429 | 503;
  code: typeof LIMIT_CODES.tooManyStreams | typeof LIMIT_CODES.streamsAtCapacity;
  message: string;
}

const keyOf = (holder: Holder) => ("userId" in holder ? `user:${holder.userId}` : `address:${holder.address}`);

export class StreamCaps {
  private readonly open = new Map<string, number>();
  private readonly openByKind: Record<StreamKind, number> = { websocket: 0, event_stream: 0 };
  private readonly limits: Pick<Limits, "streamsPerUser" | "streamsPerAnonymousAddress" | "maxOpenStreams">;

  constructor(limits: Pick<Limits, "streamsPerUser" | "streamsPerAnonymousAddress" | "maxOpenStreams">) {
    this.limits = limits;
  }

  /** A place for one more stream of `holder`, released by the function returned; null when refused. */
  take(holder: Holder, kind: StreamKind): (() => void) | null {
    if (this.refusal(holder)) return null;
    const key = keyOf(holder);
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    this.openByKind[kind] += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.openByKind[kind] -= 1;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  /** How many streams of this kind are open in this process. */
  openOf(kind: StreamKind): number {
    return this.openByKind[kind];
  }

  /** The most streams this process holds (MAX_OPEN_STREAMS). */
  get capacity(): number {
    return this.limits.maxOpenStreams;
  }

  /**
   * Why one more stream of `holder` would be refused now, or null when it would not. Asked first,
   * so that a refused stream costs no database work.
   */
  refusal(holder: Holder): StreamRefusal | null {
    if (this.openByKind.websocket + this.openByKind.event_stream >= this.limits.maxOpenStreams) {
      return {
        status: 503,
        code: LIMIT_CODES.streamsAtCapacity,
        message: `this server holds its most open streams (${this.limits.maxOpenStreams}): retry in a few seconds, another server may have room`,
      };
    }
    if ((this.open.get(keyOf(holder)) ?? 0) < this.capOf(holder)) return null;
    const who = "userId" in holder ? "this user" : "this address (anonymous websockets)";
    return {
      status: 429,
      code: LIMIT_CODES.tooManyStreams,
      message: `too many open websockets and event streams for ${who}: at most ${this.capOf(holder)} at once; close one and retry`,
    };
  }

  private capOf(holder: Holder): number {
    return "userId" in holder ? this.limits.streamsPerUser : this.limits.streamsPerAnonymousAddress;
  }
}
