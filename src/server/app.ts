// The HTTP server: Koa with /health, /metrics, the pages (/admin, /campaigns) and PostGraphile
// (GraphQL over HTTP and websockets, GraphiQL). Requests to /graphql are authenticated here,
// before PostGraphile sees them: by the Authorization header, or by the pages' session cookie.
// Every response carries the security headers; what production mode hides is in exposure.ts.
import http from "node:http";
import Koa from "koa";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/koa/v3";
import type { Authenticate } from "../auth/authenticate.ts";
import { credentialsOf } from "../auth/credentials.ts";
import { TokenError } from "../auth/jwt.ts";
import { limitsConfig } from "../config.ts";
import { VisitorQueries } from "../db/as-visitor.ts";
import { LIMIT_CODES } from "../graphql/limits.ts";
import { GRAPHIQL_PATH, GRAPHIQL_STATIC_PATH, GRAPHQL_PATH, makePreset } from "../graphql/preset.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import { adminRouter } from "./admin.ts";
import { campaignsRouter } from "./campaigns.ts";
import { EventHistory } from "./event-history.ts";
import { DEVELOPMENT, type Exposure, hasBearer } from "./exposure.ts";
import { type HealthSources, healthRoute } from "./health.ts";
import { type Metrics, metricsRoute } from "./metrics.ts";
import { observeRealtime } from "./realtime-metrics.ts";
import { securityHeaders } from "./security-headers.ts";
import { StreamCaps } from "./stream-caps.ts";
import { StreamRights } from "./stream-rights.ts";
import { databaseUnavailable } from "./unavailable.ts";
import { serveWebsockets, type Websockets } from "./websockets.ts";

// While draining, idle keep-alive sockets are closed this often (a response in flight when the
// drain began leaves its socket idle afterwards).
const DRAIN_SWEEP_MS = 100;
// Room for a base64-encoded image in replaceImage; websocket messages get the same.
export const MAX_REQUEST_BYTES = 15_000_000;

export interface ServerOptions extends HealthSources {
  host: string;
  port: number;
  ownerUrl: string;
  authenticatorUrl: string;
  hub: NotificationHub;
  authenticate: Authenticate;
  metrics: Metrics;
  /** Unset: development's (everything visible to everyone). */
  exposure?: Exposure;
}

export interface RunningServer {
  url: string;
  /** The metrics port's URL, when /metrics has a port of its own. */
  metricsUrl?: string;
  /**
   * Drains: stops accepting, answers every further request on a kept-alive socket with
   * `Connection: close`, closes idle sockets, ends event streams, closes websockets with 1001,
   * lets in-flight requests finish, then releases PostGraphile.
   */
  close(): Promise<void>;
}

function authenticateGraphQL(authenticate: Authenticate): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith(GRAPHQL_PATH)) return next();
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

/** A listening server's URL (IPv6 hosts in brackets). */
async function listen(server: http.Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

/** /metrics alone, on a port of its own (reachable only where the operator exposes that port). */
async function startMetricsServer(options: ServerOptions, exposure: Exposure & { metricsPort: number }) {
  const app = new Koa();
  app.use(securityHeaders(null));
  app.use(metricsRoute(options.metrics, { token: exposure.metricsToken, openWithoutToken: true }));
  const server = http.createServer(app.callback());
  const url = await listen(server, options.host, exposure.metricsPort);
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Only a signed-in user has a use for a large body (an image for replaceImage): an anonymous
 * request announcing more than `maxBytes` is refused before its body is read.
 */
function capAnonymousBodies(maxBytes: number): Koa.Middleware {
  return async (ctx, next) => {
    const length = Number(ctx.get("content-length"));
    if (!ctx.path.startsWith(GRAPHQL_PATH) || ctx.state.claims || !(length > maxBytes)) return next();
    ctx.status = 413;
    ctx.set("connection", "close");
    ctx.body = {
      errors: [
        {
          message: `Request refused: its body of ${length} bytes is more than the ${maxBytes} an anonymous request may send`,
          extensions: { code: LIMIT_CODES.requestTooLarge, limit: maxBytes },
        },
      ],
    };
  };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const exposure = options.exposure ?? DEVELOPMENT;
  const limits = limitsConfig();
  let websockets: Websockets | undefined;
  const { preset, releasePools } = makePreset({
    authenticatorUrl: options.authenticatorUrl,
    ownerUrl: options.ownerUrl,
    pgSubscriber: options.hub,
    db: options.db,
    authenticate: options.authenticate,
    exposure,
    limits,
    maxRequestLength: MAX_REQUEST_BYTES,
    subscriberFor: (socket) => websockets?.subscriberFor(socket),
  });
  const pgl = postgraphile(preset);
  // Built now, not by the first request: a schema build that fails (the database restarting just
  // then) would leave grafserv unable to answer any GraphQL request until the process restarts.
  await pgl.getSchema();
  const serv = pgl.createServ(grafserv);

  const app = new Koa();
  app.use(securityHeaders(exposure.production ? null : { page: GRAPHIQL_PATH, staticPrefix: GRAPHIQL_STATIC_PATH }));
  app.use(options.metrics.middleware);
  app.use(databaseUnavailable());
  // In production what failed is for the monitoring token's bearer; others read a generic word.
  app.use(healthRoute(options, (ctx) => !exposure.production || hasBearer(ctx, exposure.metricsToken)));
  if (exposure.metricsPort === undefined) {
    app.use(metricsRoute(options.metrics, { token: exposure.metricsToken, openWithoutToken: !exposure.production }));
  }
  const closing = new AbortController();
  const caps = new StreamCaps(limits);
  const stopRealtimeMetrics = observeRealtime(options.metrics.registry, { db: options.db, hub: options.hub, caps });
  // What the server asks as a stream's user: may it go on (rights), what did it miss (history).
  // Each on connections of its own, so that replays never hold up the checks of rights.
  const visitor = new VisitorQueries(options.authenticatorUrl);
  const historyReads = new VisitorQueries(options.authenticatorUrl);
  const rights = new StreamRights({ hub: options.hub, authenticate: options.authenticate, visitor });
  await rights.start();
  const streams = { hub: options.hub, caps, rights, history: new EventHistory(historyReads), closing: closing.signal };
  const pageOptions = { db: options.db, authenticate: options.authenticate, streams };
  // Before any check of the request's rights: an event stream it opens re-checks if they changed since.
  app.use((ctx, next) => {
    ctx.state.rightsVersion = rights.version;
    return next();
  });
  for (const router of [adminRouter(pageOptions), campaignsRouter(pageOptions)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(authenticateGraphQL(options.authenticate));
  app.use(capAnonymousBodies(limits.maxAnonymousRequestBytes));

  const server = http.createServer();
  let draining = false;
  server.on("request", (_request, response: http.ServerResponse) => {
    if (draining) response.setHeader("connection", "close");
  });
  // Koa composes its middleware at callback(): PostGraphile must be added before. Websockets are
  // ours (src/server/websockets.ts), not grafserv's.
  await serv.addTo(app, server, false);
  websockets = serveWebsockets(server, serv, GRAPHQL_PATH, {
    hub: options.hub,
    authenticate: options.authenticate,
    caps,
    rights,
    maxPayload: MAX_REQUEST_BYTES,
  });
  server.on("request", app.callback());

  const url = await listen(server, options.host, options.port);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    if (exposure.metricsPort !== undefined)
      metricsServer = await startMetricsServer(options, { ...exposure, metricsPort: exposure.metricsPort });
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await websockets.close();
    await rights.close();
    await visitor.close();
    await historyReads.close();
    await stopRealtimeMetrics();
    await pgl.release();
    await releasePools();
    throw error;
  }

  return {
    url,
    metricsUrl: metricsServer?.url,
    async close() {
      draining = true;
      const metricsClosed = metricsServer?.close();
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
      server.closeIdleConnections();
      await websockets!.close();
      await closed;
      await metricsClosed;
      clearInterval(sweep);
      await rights.close();
      await visitor.close();
      await historyReads.close();
      await stopRealtimeMetrics();
      await pgl.release();
      await releasePools();
    },
  };
}
