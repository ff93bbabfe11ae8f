// How many long-lived connections one client may hold: websockets and event streams together,
// counted per signed-in user, and per address for websockets that have not said who they are (or
// never will). A client at its cap is refused (HTTP 429, or websocket close 1013 "try again
// later") until one of its streams closes.
import type { Limits } from "../config.ts";
import { LIMIT_CODES } from "../graphql/limits.ts";

export type Holder = { userId: string } | { address: string };
/** What a place is for: a websocket, or an event stream (server-sent events). */
export type StreamKind = "websocket" | "event_stream";

const keyOf = (holder: Holder) => ("userId" in holder ? `user:${holder.userId}` : `address:${holder.address}`);

export class StreamCaps {
  private readonly open = new Map<string, number>();
  private readonly openByKind: Record<StreamKind, number> = { websocket: 0, event_stream: 0 };
  private readonly limits: Pick<Limits, "streamsPerUser" | "streamsPerAnonymousAddress">;

  constructor(limits: Pick<Limits, "streamsPerUser" | "streamsPerAnonymousAddress">) {
    this.limits = limits;
  }

  /** A place for one more stream of `holder`, released by the function returned; null at the cap. */
  take(holder: Holder, kind: StreamKind): (() => void) | null {
    const key = keyOf(holder);
    const count = this.open.get(key) ?? 0;
    if (count >= this.capOf(holder)) return null;
    this.open.set(key, count + 1);
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

  /** Whether `holder` is at its cap now: asked first, so that a refused stream costs no database work. */
  full(holder: Holder): boolean {
    return (this.open.get(keyOf(holder)) ?? 0) >= this.capOf(holder);
  }

  /** What a refused client is told. */
  refusal(holder: Holder): { code: typeof LIMIT_CODES.tooManyStreams; message: string } {
    const who = "userId" in holder ? "this user" : "this address (anonymous websockets)";
    return {
      code: LIMIT_CODES.tooManyStreams,
      message: `too many open websockets and event streams for ${who}: at most ${this.capOf(holder)} at once; close one and retry`,
    };
  }

  private capOf(holder: Holder): number {
    return "userId" in holder ? this.limits.streamsPerUser : this.limits.streamsPerAnonymousAddress;
  }
}
