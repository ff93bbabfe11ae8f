// /admin: the admin dashboard. Admins only, enforced here on the page, its data and its live
// events (401 without credentials, 403 for a non-admin); the quick actions are the GraphQL admin
// mutations, which Postgres checks again. Signing in exchanges a token for the session cookie.
//   GET    /admin             the page (or the sign-in page, with 401 or 403)
//   POST   /admin/session     {"token": "…"} → sets the session cookie (admins only)
//   DELETE /admin/session     signs out
//   GET    /admin/data        app_public.admin_dashboard() as JSON
//   GET    /admin/events      server-sent events of the pool and timers channels
//   GET    /admin/assets/…    the page's script and styles (and uPlot's, shared)
import path from "node:path";
import { fileURLToPath } from "node:url";
import Router from "@koa/router";
import { type Kysely, sql } from "kysely";
import type { Authenticate } from "../auth/authenticate.ts";
import type { DB } from "../db/kysely.ts";
import { type Asset, type PageRule, pageSession, serveAssets, servePage } from "./pages.ts";
import { type EventStreams, streamChannels } from "./sse.ts";

export interface AdminOptions {
  db: Kysely<DB>;
  authenticate: Authenticate;
  streams: EventStreams;
}

/** The channels whose events change what the dashboard shows. */
const LIVE_CHANNELS = ["pool", "timers"];
const RULE: PageRule = { title: "admin", adminsOnly: true };

const pages = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "pages", "admin");
const ASSETS: Record<string, Asset> = {
  "dashboard.js": { file: path.join(pages, "dashboard.js"), type: "text/javascript" },
  "dashboard.css": { file: path.join(pages, "dashboard.css"), type: "text/css" },
};

export function adminRouter(options: AdminOptions): Router {
  const router = new Router({ prefix: "/admin" });

  serveAssets(router, ASSETS);
  servePage(router, options.authenticate, RULE, "/admin", path.join(pages, "dashboard.html"));
  const adminOnly = pageSession(router, options.authenticate, RULE);

  router.get("/data", adminOnly, async (ctx) => {
    const {
      rows: [row],
    } = await sql<{ dashboard: unknown }>`select app_public.admin_dashboard() as dashboard`.execute(options.db);
    ctx.set("cache-control", "no-store");
    ctx.body = row!.dashboard;
  });

  router.get("/events", adminOnly, (ctx) => streamChannels(ctx, options.streams, ctx.state.claims, LIVE_CHANNELS));

  return router;
}
