// The HTTP server: Koa with /health, /metrics, the pages (/admin, /campaigns) and PostGraphile
// (GraphQL over HTTP and websockets, GraphiQL). Requests to /graphql are authenticated here,
// before PostGraphile sees them: by the Authorization header, or by the pages' session cookie.
import http from "node:http";
import type { Duplex } from "node:stream";
import Koa from "koa";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/koa/v3";
import type { Authenticate } from "../auth/authenticate.ts";
import { credentialsOf } from "../auth/credentials.ts";
import { TokenError } from "../auth/jwt.ts";
import { makePreset } from "../graphql/preset.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import { adminRouter } from "./admin.ts";
import { campaignsRouter } from "./campaigns.ts";
import { healthRoute, type HealthSources } from "./health.ts";
import type { Metrics } from "./metrics.ts";

export interface ServerOptions extends HealthSources {
  host: string;
  port: number;
  ownerUrl: string;
  authenticatorUrl: string;
  hub: NotificationHub;
  authenticate: Authenticate;
  metrics: Metrics;
}

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish, ends websockets, releases PostGraphile. */
  close(): Promise<void>;
}

function authenticateGraphQL(authenticate: Authenticate): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith("/graphql")) return next();
    try {
      ctx.state.claims = await authenticate(credentialsOf(ctx));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      ctx.status = 401;
      ctx.set("WWW-Authenticate", `Bearer error="invalid_token"`);
      ctx.body = { errors: [{ message: error.message, extensions: { code: "UNAUTHENTICATED" } }] };
      return;
    }
    return next();
  };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { preset, releasePools } = makePreset({
    authenticatorUrl: options.authenticatorUrl,
    ownerUrl: options.ownerUrl,
    pgSubscriber: options.hub,
    db: options.db,
    authenticate: options.authenticate,
  });
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);

  const app = new Koa();
  app.use(options.metrics.middleware);
  app.use(healthRoute(options));
  app.use(async (ctx, next) => {
    if (ctx.method !== "GET" || ctx.path !== "/metrics") return next();
    ctx.type = options.metrics.registry.contentType;
    ctx.body = await options.metrics.registry.metrics();
  });
  const closing = new AbortController();
  const pageOptions = { db: options.db, hub: options.hub, authenticate: options.authenticate, closing: closing.signal };
  for (const router of [adminRouter(pageOptions), campaignsRouter(pageOptions)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(authenticateGraphQL(options.authenticate));

  const server = http.createServer();
  // Upgraded sockets (websockets) are no longer the HTTP server's to close; track them ourselves.
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (_request, socket: Duplex) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
  });
  // Koa composes its middleware at callback(): PostGraphile must be added before.
  await serv.addTo(app, server);
  server.on("request", app.callback());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  return {
    url: `http://${host}:${port}`,
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const socket of upgraded) socket.destroy();
      await closed;
      await pgl.release();
      await releasePools();
    },
  };
}
