// GraphQL over websockets (graphql-ws, on PostGraphile's own configuration), served by our ws
// server rather than the one grafserv keeps to itself, so that shutdown can say goodbye: every
// socket gets a close frame with 1001 "going away", the cue for a client to reconnect elsewhere,
// instead of a cut connection (1006). One ping round every KEEPALIVE_MS finds dead peers for all
// sockets at once (the ws documentation's pattern).
//
// Limits: a socket counts against its address until connection_init names a user (then against
// that user, websockets and event streams together); past the cap the upgrade is answered 429, or
// the socket is closed with 1013 "try again later". A socket's token is checked at connection_init
// (4401 with the reason when refused) and followed while it is open (src/server/stream-rights.ts):
// when the token expires the socket is closed with 4401; when the user may no longer see what a
// subscription follows (they left the marketer, lost admin), that subscription ends with an error
// whose extensions.code is RIGHTS_REVOKED, and the socket's other subscriptions go on.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { makeServer } from "graphql-ws";
import { type GrafastSubscriber, SafeError } from "postgraphile/grafast";
import { type GrafservBase, makeGraphQLWSConfig, normalizeConnectionParams } from "postgraphile/grafserv";
import { type WebSocket, WebSocketServer } from "ws";
import type { Authenticate } from "../auth/authenticate.ts";
import { type Claims, TokenError } from "../auth/jwt.ts";
import { LIMIT_CODES } from "../graphql/limits.ts";
import type { NotificationHub, Payload } from "../notifications/hub.ts";
import type { Holder, StreamCaps, StreamRefusal } from "./stream-caps.ts";
import { revoked, type StreamEnd, type StreamRights, type WatchedStream } from "./stream-rights.ts";

const KEEPALIVE_MS = 12_000;
/** How long closing sockets get to answer the close frame before they are cut. */
const CLOSE_GRACE_MS = 2_000;
export const GOING_AWAY = 1001;
/** Standard "try again later": graphql-ws clients retry it with backoff. */
export const TRY_AGAIN_LATER = 1013;
/** graphql-ws's Unauthorized: the token is not (or no longer) accepted; clients do not retry it. */
export const UNAUTHORIZED = 4401;
/** A close frame's reason is at most 123 bytes. */
const MAX_REASON_BYTES = 123;

export interface WebsocketOptions {
  hub: NotificationHub;
  authenticate: Authenticate;
  caps: StreamCaps;
  rights: StreamRights;
  /** Largest message accepted (the same as an HTTP request's body). */
  maxPayload: number;
}

export interface Websockets {
  /** Closes every socket with 1001 and refuses new ones; settles when all are gone. */
  close(): Promise<void>;
  /**
   * The subscriber one subscription of a socket listens with, so that it can be ended alone: asked
   * before the subscription's right is checked, then given its claims.
   */
  subscriberFor(socket: unknown): ((claims: Claims | null) => GrafastSubscriber<Record<string, Payload>>) | undefined;
}

/** One subscription's stream of NOTIFY payloads, which a re-check can end with an error. */
interface FollowedTopic {
  topic: string;
  openedAsAdmin: boolean;
  end(reason: StreamEnd): void;
}

interface Connection {
  /** Frees this socket's place under its cap (the address's, then the user's); called when the socket closes. */
  release: () => void;
  /** Its user's rights, followed once connection_init named them. */
  watched?: WatchedStream;
  unwatch: () => void;
  topics: Set<FollowedTopic>;
}

function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= MAX_REASON_BYTES
    ? text
    : `${bytes
        .subarray(0, MAX_REASON_BYTES - 3)
        .toString()
        .replace(/\uFFFD$/, "")}...`;
}

function refuseUpgrade(socket: Duplex, refusal: StreamRefusal) {
  const body = JSON.stringify({ error: refusal.message, code: refusal.code });
  const status = refusal.status === 503 ? "503 Service Unavailable" : "429 Too Many Requests";
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function authorizationOf(connectionParams: unknown): string | undefined {
  const value = normalizeConnectionParams(connectionParams as Record<string, unknown> | undefined)?.authorization;
  return typeof value === "string" ? value : undefined;
}

export function serveWebsockets(server: http.Server, serv: GrafservBase, path: string, options: WebsocketOptions): Websockets {
  const connections = new WeakMap<WebSocket, Connection>();
  const graphqlWs = makeServer({
    ...makeGraphQLWSConfig(serv),
    // Who the socket is for: its place moves from its address's cap to its user's, and its
    // rights are followed from now on.
    async onConnect(ctx) {
      const ws = (ctx.extra as { socket: WebSocket }).socket;
      const connection = connections.get(ws);
      if (!connection) return false;
      const credentials = authorizationOf(ctx.connectionParams);
      const checkedAt = options.rights.version;
      let claims: Claims | null;
      try {
        claims = await options.authenticate(credentials);
      } catch (error) {
        if (error instanceof TokenError) ws.close(UNAUTHORIZED, closeReason(error.message));
        else {
          // The database did not answer (restarting, unreachable): the client retries later.
          console.error(`websocket: could not check a token: ${(error as Error).message}`);
          ws.close(TRY_AGAIN_LATER, "the server could not check your token just now: retry");
        }
        return false;
      }
      if (!claims || ws.readyState !== ws.OPEN) return true;
      // Its place as an address becomes one of its user's: given back first, so that a socket that
      // got the process's last place can still sign in.
      const holder: Holder = { userId: claims.sub };
      connection.release();
      connection.release = () => {};
      const release = options.caps.take(holder, "websocket");
      if (!release) {
        ws.close(TRY_AGAIN_LATER, closeReason(options.caps.refusal(holder)!.message));
        return false;
      }
      connection.release = release;
      connection.watched = {
        claims,
        credentials: credentials!,
        checkedAt,
        async recheck(current) {
          for (const followed of connection.topics) {
            if (followed.openedAsAdmin && !current.is_admin) {
              followed.end({
                code: LIMIT_CODES.rightsRevoked,
                message: "your admin rights were withdrawn: subscribe again to follow what you may still see",
              });
            } else if (!(await options.rights.mayListen(current, followed.topic))) {
              followed.end(revoked(followed.topic));
            }
          }
        },
        end(reason) {
          ws.close(UNAUTHORIZED, closeReason(reason.message));
        },
      };
      connection.unwatch = options.rights.watch(connection.watched);
      return true;
    },
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const answered = new WeakSet<WebSocket>();
  let closing = false;

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing || request.url?.split("?")[0] !== path) return void socket.destroy();
    const holder: Holder = { address: request.socket.remoteAddress ?? "unknown" };
    const release = options.caps.take(holder, "websocket");
    if (!release) return refuseUpgrade(socket, options.caps.refusal(holder)!);
    const connection: Connection = { release, unwatch: () => {}, topics: new Set() };
    // Whatever becomes of the socket (a failed handshake too), its place is freed when it closes.
    socket.once("close", () => {
      connection.unwatch();
      connection.release();
    });
    sockets.handleUpgrade(request, socket, head, (ws) => accept(ws, request, connection));
  };
  server.on("upgrade", onUpgrade);

  function accept(ws: WebSocket, request: http.IncomingMessage, connection: Connection) {
    connections.set(ws, connection);
    answered.add(ws);
    ws.on("pong", () => answered.add(ws));
    const closed = graphqlWs.opened(
      {
        protocol: ws.protocol,
        send: (data) => new Promise<void>((resolve, reject) => ws.send(data, (error) => (error ? reject(error) : resolve()))),
        close: (code, reason) => ws.close(code, reason),
        onMessage: (handle) =>
          ws.on("message", async (data) => {
            try {
              await handle(data.toString());
            } catch (error) {
              ws.close(1011, closeReason((error as Error).message));
            }
          }),
      },
      { socket: ws, request },
    );
    ws.once("close", (code, reason) => {
      connection.unwatch();
      connection.release();
      void closed(code, reason.toString());
    });
  }

  const keepalive = setInterval(() => {
    for (const ws of sockets.clients) {
      if (!answered.has(ws)) ws.terminate();
      else {
        answered.delete(ws);
        ws.ping();
      }
    }
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    subscriberFor(socket) {
      const connection = connections.get(socket as WebSocket);
      if (!connection) return undefined;
      const checkedAt = options.rights.version;
      return (claims) => ({
        async subscribe(topic) {
          const inner = await options.hub.subscribe(topic);
          const stop = Promise.withResolvers<never>();
          stop.promise.catch(() => {});
          const followed: FollowedTopic = {
            topic,
            openedAsAdmin: claims?.is_admin === true,
            end(reason) {
              connection.topics.delete(followed);
              // Grafast ends the subscription with this error, graphql-ws sends it as the last message.
              stop.reject(new SafeError(reason.message, { code: reason.code }));
              void inner.return?.();
            },
          };
          connection.topics.add(followed);
          // Rights changed while this subscription was being checked: check again, now that it is followed.
          if (connection.watched && checkedAt !== options.rights.version) void options.rights.recheckNow(connection.watched);
          const iterator: AsyncIterableIterator<Payload> = {
            [Symbol.asyncIterator]: () => iterator,
            next: () => Promise.race([inner.next(), stop.promise]),
            async return() {
              connection.topics.delete(followed);
              return (await inner.return?.()) ?? { done: true, value: undefined };
            },
            async throw(error?: unknown) {
              connection.topics.delete(followed);
              return (await inner.throw?.(error)) ?? { done: true, value: undefined };
            },
          };
          return iterator;
        },
      });
    },
    async close() {
      closing = true;
      clearInterval(keepalive);
      server.off("upgrade", onUpgrade);
      const gone = [...sockets.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            ws.once("close", () => resolve());
            ws.close(GOING_AWAY, "server shutting down");
            setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
          }),
      );
      await Promise.all(gone);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}
