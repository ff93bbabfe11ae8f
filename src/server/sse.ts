// Server-sent events from NOTIFY channels, for the browser pages: every payload on the given
// channels goes to the client as one event (`event: <channel>`, `data: <payload>`), through the
// process's notification hub (the LISTEN connection its subscriptions share).
//
// The stream opens with a `ready` event once every LISTEN is in place: a page reads its snapshot
// after that, so nothing committed in between is missed. After the hub reconnects, each channel
// sends a `{"event":"resync"}` payload, and a browser that reconnects (EventSource does so by
// itself) gets a new `ready`: both are the page's cue to read the snapshot again.
//
// Events of campaign and marketer channels are stored (src/server/event-history.ts) and carry
// their cursor as the SSE `id`. A browser that reconnects sends the last one as Last-Event-ID (a
// page opening a new stream may pass ?lastEventId=): the stream then first replays, in order and
// once each, what committed after it, and only then goes live. After a resync it replays what it
// missed the same way. A cursor the history cannot answer for (not one, or older than it keeps)
// replays nothing, and `ready` says so in `replay`.
//
// Each user holds at most STREAMS_PER_USER streams (429 past it), and the process at most
// MAX_OPEN_STREAMS (503 past it). A stream whose user may no longer
// listen to its channels (left the marketer, lost admin) or whose token expired ends with an `end`
// event, `{"code":"RIGHTS_REVOKED"|"TOKEN_EXPIRED","message":…}`, and is closed: EventSource
// reconnects and is then refused (401 or 403), so the page can say why.
import type { Context } from "koa";
import { credentialsOf } from "../auth/credentials.ts";
import type { Claims } from "../auth/jwt.ts";
import { type NotificationHub, RESYNC_PAYLOAD } from "../notifications/hub.ts";
import { type EventFrame, eventFrame } from "./event-frames.ts";
import { EventHistory, parseCursor, ReplayRefused } from "./event-history.ts";
import type { StreamCaps, StreamRefusal } from "./stream-caps.ts";
import { revoked, type StreamEnd, type StreamRights } from "./stream-rights.ts";

// Proxies and load balancers close connections that stay silent; a comment line keeps it open.
const KEEP_ALIVE_MS = 15_000;
const MAX_BUFFERED_BYTES = 1_000_000;

export interface EventStreams {
  hub: NotificationHub;
  caps: StreamCaps;
  rights: StreamRights;
  history: EventHistory;
  /** Aborted when the server shuts down: ends the streams. */
  closing: AbortSignal;
}

/** HTTP 429 for a user at their cap of open streams, 503 when this process holds its most. */
export function refuseStream(ctx: Context, refusal: StreamRefusal): void {
  ctx.status = refusal.status;
  ctx.set("retry-after", "5");
  ctx.body = { error: refusal.message, code: refusal.code };
}

/** Streams `channels` to a client signed in with `claims`, whose right to them was checked. */
export async function streamChannels(ctx: Context, streams: EventStreams, claims: Claims, channels: string[]): Promise<void> {
  const { hub, closing } = streams;
  const holder = { userId: claims.sub };
  const release = streams.caps.take(holder, "event_stream");
  if (!release) return refuseStream(ctx, streams.caps.refusal(holder)!);
  // Written to the response directly: Koa would report the stream's end by a leaving client as an error.
  ctx.respond = false;
  const response = ctx.res;
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  // connection: close, so that a stream ended by shutdown takes its socket with it; and then the
  // body needs no chunked framing (it ends with the connection), one buffer less per event.
  response.useChunkedEncodingByDefault = false;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    connection: "close",
  });
  response.flushHeaders();
  // Past the headers the body is the bare stream (no chunked framing, see above): events go
  // straight to the socket, the cheapest path when one notification fans out to many clients.
  const socket = ctx.req.socket;
  const stops: (() => Promise<void>)[] = [];
  let closed = false;
  // A client that stops reading is dropped rather than buffered without end (it reconnects and
  // re-reads its snapshot). An empty event is the keep-alive comment.
  const write = (bytes: string | Buffer) => {
    if (closed) return;
    if (socket.writableLength > MAX_BUFFERED_BYTES) return close();
    socket.write(bytes);
  };
  const send = (event: string, data: string) => write(event ? `event: ${event}\ndata: ${data}\n\n` : ": keep-alive\n\n");
  // Replay: live events wait in `held` while the history is read, then those it replayed are
  // dropped. Live events commit in cursor order, so past that point they just go. A resync that
  // arrives meanwhile makes it read again once it is done, then goes out.
  const replayable = channels.some((channel) => EventHistory.keeps(channel));
  const credentials = credentialsOf(ctx) ?? "";
  const lastEventId = ctx.get("last-event-id") || (typeof ctx.query.lastEventId === "string" ? ctx.query.lastEventId : "");
  let lastCursor = parseCursor(lastEventId || undefined);
  // From the first LISTEN on, when there is something to replay: a live event that came before the
  // replay's read would otherwise move the cursor past what the replay is for.
  let held: EventFrame[] | null = replayable && lastCursor !== undefined ? [] : null;
  let resyncs: EventFrame[] = [];
  const deliver = (frame: EventFrame) => {
    if (frame.cursor !== undefined) lastCursor = frame.cursor;
    write(frame.bytes);
  };
  /** Replays what followed lastCursor as `as` may see it now; says how it went. */
  let replaying = held !== null;
  const replay = async (as: Claims): Promise<string> => {
    held ??= [];
    replaying = true;
    let outcome = "none";
    let through: number | undefined;
    try {
      if (replayable && lastCursor !== undefined) {
        for (const event of await streams.history.after(as, channels, lastCursor)) deliver(eventFrame(event.channel, event.payload));
        through = lastCursor;
        outcome = "replayed";
      }
    } catch (error) {
      if (!(error instanceof ReplayRefused)) throw error;
      // Nothing replayed: every live event that waited goes out, and the next one sets the cursor.
      outcome = `refused: ${error.message}`;
      lastCursor = undefined;
    } finally {
      replaying = false;
    }
    const waiting = held;
    held = null;
    for (const frame of waiting) {
      if (frame.cursor === undefined || through === undefined || frame.cursor > through) deliver(frame);
    }
    if (resyncs.length > 0) await afterResyncs();
    return outcome;
  };
  // What committed while the hub was away is in the history: replay it, as the user may see it
  // now (their rights may have changed meanwhile; the rights re-check ends the stream if so), then
  // say resync. Live events wait from the moment the resync arrives.
  let resyncing = false;
  const afterResyncs = async () => {
    if (resyncing) return;
    resyncing = true;
    try {
      while (resyncs.length > 0) {
        const frames = resyncs;
        resyncs = [];
        held ??= [];
        const current = await streams.rights.claimsNow(credentials);
        if (!current) return close();
        await replay(current);
        for (const frame of frames) deliver(frame);
      }
    } finally {
      resyncing = false;
    }
  };
  const onLive = (channel: string, payload: string) => {
    const frame = eventFrame(channel, payload);
    if (payload === RESYNC_PAYLOAD && replayable && lastCursor !== undefined) {
      resyncs.push(frame);
      held ??= [];
      if (!resyncing && !replaying) void afterResyncs().catch(() => close());
      return;
    }
    if (held) return void held.push(frame);
    deliver(frame);
  };

  const keepAlive = setInterval(() => send("", ""), KEEP_ALIVE_MS);
  let unwatch = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    closing.removeEventListener("abort", close);
    unwatch();
    release();
    response.end();
    for (const stop of stops.splice(0)) void stop();
  };
  const end = (reason: StreamEnd) => {
    send("end", JSON.stringify(reason));
    close();
  };
  unwatch = streams.rights.watch({
    claims,
    credentials,
    // Read when the request came in, before its credentials and rights were checked (src/server/app.ts).
    checkedAt: ctx.state.rightsVersion,
    async recheck(current) {
      for (const channel of channels) {
        if (!(await streams.rights.mayListen(current, channel))) return end(revoked(channel));
      }
    },
    end,
  });
  ctx.req.once("close", close);
  response.once("close", close);
  closing.addEventListener("abort", close, { once: true });
  // The client may have left while its rights were being checked, before these listeners were in place.
  if (closing.aborted || socket.destroyed || ctx.req.destroyed) return close();

  try {
    for (const channel of channels) {
      const stop = await hub.listen(channel, (payload) => onLive(channel, payload));
      if (closed) return void stop();
      stops.push(stop);
    }
    const replayed = await replay(claims);
    if (closed) return;
    send("ready", JSON.stringify(replayable && replayed !== "none" ? { channels, replay: replayed } : { channels }));
  } catch (error) {
    // Without LISTEN the stream would stay silent for good; ended, the browser reconnects.
    console.error(`event stream: ${(error as Error).message}`);
    return close();
  }
}
