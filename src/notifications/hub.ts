// Our LISTEN connection (pg-listen), one per process, shared by everything of ours that wants
// NOTIFY events: GraphQL subscriptions (this class is a Grafast subscriber), server-sent events, the
// timer alarm, tests. graphile-worker listens for new jobs on a connection of its own pool.
//
// pg-listen re-LISTENs after a lost connection, but only forever if retryTimeout is Infinity.
// Notifications sent while the connection was down are gone (Postgres never replays them), so
// after a reconnect every open channel receives a `{"event":"resync"}` message: the cue to
// re-read a snapshot. Listen first, then read the snapshot, then apply events.
import { EventEmitter, on } from "node:events";
import pgListen from "pg-listen";
import type { GrafastSubscriber } from "postgraphile/grafast";
import { namedUrl } from "../db/connection.ts";

/** The JSON text of one NOTIFY payload. */
export type Payload = string;

export const RESYNC_PAYLOAD: Payload = JSON.stringify({ event: "resync" });

const backoff = (attempt: number) => Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));

export class NotificationHub implements GrafastSubscriber<Record<string, Payload>> {
  private readonly listener;
  /** Open LISTENs: how many consumers each channel has, and the LISTEN they all wait for. */
  private readonly listeners = new Map<string, { count: number; ready: Promise<unknown> }>();
  private hasConnected = false;
  private closing = false;
  /** Each notification, under its channel's name. */
  private readonly channels: EventEmitter;
  private readonly deliveryObservers = new Set<(channel: string, payload: Payload) => void>();
  /** GraphQL subscriptions open on this hub (subscribe's iterators not yet returned). */
  private openSubscriptions = 0;

  constructor(connectionString: string) {
    this.listener = pgListen.default(
      { connectionString: namedUrl(connectionString, "listen") },
      {
        retryTimeout: Infinity,
        // pg-listen's reconnect loop only stops when this throws: after close(), it does.
        retryInterval: (attempt: number) => {
          if (this.closing) throw new Error("notification hub closed");
          return backoff(attempt);
        },
        parse: (text: string) => text,
      },
    );
    this.channels = new EventEmitter();
    this.channels.setMaxListeners(0);
    // From the moment the connection is lost until it is back and listening on every channel,
    // notifications are dropped: pg-listen hands on what the new connection hears while it is
    // still re-LISTENing, and a consumer that saw those would take them for the first events after
    // the gap. Dropped, they are all behind the resync that follows, which every consumer takes
    // as its cue to re-read (or to replay from the event history).
    let reconnecting = false;
    this.listener.events.on("reconnect", () => {
      reconnecting = true;
    });
    this.listener.events.on("connected", () => {
      reconnecting = false;
    });
    this.listener.events.on("notification", ({ channel, payload }) => {
      if (reconnecting || typeof payload !== "string") return;
      this.channels.emit(channel, payload);
      // Once every consumer of the channel has it, and a turn of the event loop later, so that
      // what those consumers do at once is done too.
      if (this.deliveryObservers.size === 0) return;
      setImmediate(() => {
        for (const observe of this.deliveryObservers) observe(channel, payload);
      });
    });
    this.listener.events.on("error", (error) => {
      if (!this.closing) console.error(`notifications: ${error.message}`);
    });
    this.listener.events.on("connected", () => {
      if (this.closing) {
        void this.listener.close();
        return;
      }
      if (this.hasConnected) {
        for (const channel of this.listeners.keys()) this.channels.emit(channel, RESYNC_PAYLOAD);
      }
      this.hasConnected = true;
    });
  }

  async connect(): Promise<void> {
    await this.listener.connect();
  }

  /** Calls `handler` with every payload on `channel` until the returned function is called. */
  async listen(channel: string, handler: (payload: Payload) => void): Promise<() => Promise<void>> {
    this.channels.on(channel, handler);
    try {
      await this.keep(channel);
    } catch (error) {
      this.channels.off(channel, handler);
      throw error;
    }
    return async () => {
      this.channels.off(channel, handler);
      await this.drop(channel);
    };
  }

  /** Calls `observe` once per notification, after it was handed to every consumer of this process. */
  onDelivered(observe: (channel: string, payload: Payload) => void): () => void {
    this.deliveryObservers.add(observe);
    return () => this.deliveryObservers.delete(observe);
  }

  /** How many GraphQL subscriptions are open on this hub. */
  get subscriptions(): number {
    return this.openSubscriptions;
  }

  /** Grafast's subscriber interface: resolves once LISTEN is in place, so no event is missed after. */
  async subscribe(topic: string): Promise<AsyncIterableIterator<Payload>> {
    const abort = new AbortController();
    const events = on(this.channels, topic, { signal: abort.signal });
    try {
      await this.keep(topic);
    } catch (error) {
      abort.abort();
      throw error;
    }
    let released = false;
    this.openSubscriptions += 1;
    const finish = async () => {
      if (released) return;
      released = true;
      this.openSubscriptions -= 1;
      abort.abort();
      await this.drop(topic);
    };
    const iterator: AsyncIterableIterator<Payload> = {
      [Symbol.asyncIterator]: () => iterator,
      async next() {
        try {
          const result = await events.next();
          return result.done ? result : { done: false, value: result.value[0] as Payload };
        } catch (error) {
          if (abort.signal.aborted) return { done: true, value: undefined };
          throw error;
        }
      },
      async return() {
        await finish();
        return { done: true, value: undefined };
      },
      async throw(error?: unknown) {
        await finish();
        throw error;
      },
    };
    return iterator;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.listeners.clear();
    await this.listener.close();
  }

  private async keep(channel: string): Promise<void> {
    const open = this.listeners.get(channel);
    if (open) {
      open.count += 1;
      try {
        await open.ready;
      } catch (error) {
        await this.drop(channel);
        throw error;
      }
      return;
    }
    const entry = { count: 1, ready: Promise.resolve(this.listener.listenTo(channel)) };
    this.listeners.set(channel, entry);
    try {
      await entry.ready;
    } catch (error) {
      // A failed LISTEN must not stay behind for the next subscriber to wait on.
      if (this.listeners.get(channel) === entry) this.listeners.delete(channel);
      throw error;
    }
  }

  private async drop(channel: string): Promise<void> {
    const open = this.listeners.get(channel);
    if (!open) return;
    open.count -= 1;
    if (open.count > 0) return;
    this.listeners.delete(channel);
    await this.listener.unlisten(channel)?.catch(() => {});
  }
}
