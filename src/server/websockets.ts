// GraphQL over websockets (graphql-ws, on PostGraphile's own configuration), served by our ws
// server rather than the one grafserv keeps to itself, so that shutdown can say goodbye: every
// socket gets a close frame with 1001 "going away", the cue for a client to reconnect elsewhere,
// instead of a cut connection (1006). One ping round every KEEPALIVE_MS finds dead peers for all
// sockets at once (the ws documentation's pattern).
import type http from "node:http";
import type { Duplex } from "node:stream";
import { makeServer } from "graphql-ws";
import { type GrafservBase, makeGraphQLWSConfig } from "postgraphile/grafserv";
import { type WebSocket, WebSocketServer } from "ws";

const KEEPALIVE_MS = 12_000;
/** How long closing sockets get to answer the close frame before they are cut. */
const CLOSE_GRACE_MS = 2_000;
export const GOING_AWAY = 1001;

export interface Websockets {
  /** Closes every socket with 1001 and refuses new ones; settles when all are gone. */
  close(): Promise<void>;
}

export function serveWebsockets(server: http.Server, serv: GrafservBase, path: string): Websockets {
  const graphqlWs = makeServer(makeGraphQLWSConfig(serv));
  const sockets = new WebSocketServer({ noServer: true });
  const answered = new WeakSet<WebSocket>();
  let closing = false;

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing || request.url?.split("?")[0] !== path) return void socket.destroy();
    sockets.handleUpgrade(request, socket, head, (ws) => accept(ws, request));
  };
  server.on("upgrade", onUpgrade);

  function accept(ws: WebSocket, request: http.IncomingMessage) {
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
              ws.close(1011, (error as Error).message.slice(0, 120));
            }
          }),
      },
      { socket: ws, request },
    );
    ws.once("close", (code, reason) => closed(code, reason.toString()));
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
    async close() {
      closing = true;
      clearInterval(keepalive);
      server.off("upgrade", onUpgrade);
      const gone = [...sockets.clients].map((ws) => new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close(GOING_AWAY, "server shutting down");
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      }));
      await Promise.all(gone);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}
