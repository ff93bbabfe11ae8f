// Server-sent events from NOTIFY channels, for the browser pages: every payload on the given
// channels goes to the client as one event (`event: <channel>`, `data: <payload>`), through the
// process's notification hub (the LISTEN connection its subscriptions share).
//
// The stream opens with a `ready` event once every LISTEN is in place: a page reads its snapshot
// after that, so nothing committed in between is missed. After the hub reconnects, each channel
// sends a `{"event":"resync"}` payload, and a browser that reconnects (EventSource does so by
// itself) gets a new `ready`: both are the page's cue to read the snapshot again.
//
// Each user holds at most STREAMS_PER_USER streams (429 past it). A stream whose user may no longer
// listen to its channels (left the marketer, lost admin) or whose token expired ends with an `end`
// event, `{"code":"RIGHTS_REVOKED"|"TOKEN_EXPIRED","message":…}`, and is closed: EventSource
// reconnects and is then refused (401 or 403), so the page can say why.
import type { Context } from "koa";
import { credentialsOf } from "../auth/credentials.ts";
import type { Claims } from "../auth/jwt.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import type { StreamCaps } from "./stream-caps.ts";
import { revoked, type StreamEnd, type StreamRights } from "./stream-rights.ts";

// Proxies and load balancers close connections that stay silent; a comment line keeps it open.
const KEEP_ALIVE_MS = 15_000;
const MAX_BUFFERED_BYTES = 1_000_000;

export interface EventStreams {
  hub: NotificationHub;
  caps: StreamCaps;
  rights: StreamRights;
  /** Aborted when the server shuts down: ends the streams. */
  closing: AbortSignal;
}

/** Streams `channels` to a client signed in with `claims`, whose right to them was checked. */
/** HTTP 429 for a user at their cap of open streams. */
export function refuseStream(ctx: Context, streams: EventStreams, claims: Claims): void {
  const refusal = streams.caps.refusal({ userId: claims.sub });
  ctx.status = 429;
  ctx.set("retry-after", "5");
  ctx.body = { error: refusal.message, code: refusal.code };
}

export async function streamChannels(ctx: Context, streams: EventStreams, claims: Claims, channels: string[]): Promise<void> {
  const { hub, closing } = streams;
  const release = streams.caps.take({ userId: claims.sub }, "event_stream");
  if (!release) return refuseStream(ctx, streams, claims);
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
  const send = (event: string, data: string) => {
    if (closed) return;
    if (socket.writableLength > MAX_BUFFERED_BYTES) return close();
    socket.write(event ? `event: ${event}\ndata: ${data}\n\n` : ": keep-alive\n\n");
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
    credentials: credentialsOf(ctx) ?? "",
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
  if (closing.aborted) return close();

  try {
    for (const channel of channels) {
      const stop = await hub.listen(channel, (payload) => send(channel, payload));
      if (closed) return void stop();
      stops.push(stop);
    }
  } catch (error) {
    // Without LISTEN the stream would stay silent for good; ended, the browser reconnects.
    console.error(`event stream: ${(error as Error).message}`);
    return close();
  }
  send("ready", JSON.stringify({ channels }));
}
