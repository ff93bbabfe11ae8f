// /admin: the admin dashboard. Admins only, enforced here on the page, its data and its live
// events (401 without credentials, 403 for a non-admin); the quick actions are the GraphQL admin
// mutations, which Postgres checks again. Signing in exchanges a token for the session cookie.
//   GET    /admin             the page (or the sign-in page, with 401 or 403)
//   POST   /admin/session     {"token": "…"} → sets the session cookie (admins only)
//   DELETE /admin/session     signs out
//   GET    /admin/data        app_public.admin_dashboard() as JSON
//   GET    /admin/events      server-sent events of the pool and timers channels
//   GET    /admin/assets/…    the page's script and styles, and uPlot's
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { json } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import Router, { type RouterMiddleware } from "@koa/router";
import type Koa from "koa";
import { type Kysely, sql } from "kysely";
import type { Authenticate } from "../auth/authenticate.ts";
import { credentialsOf, setSessionCookie } from "../auth/credentials.ts";
import { TokenError } from "../auth/jwt.ts";
import type { DB } from "../db/kysely.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import { streamChannels } from "./sse.ts";

export interface AdminOptions {
  db: Kysely<DB>;
  hub: NotificationHub;
  authenticate: Authenticate;
  /** Aborted when the server shuts down: ends the event streams. */
  closing: AbortSignal;
}

/** The channels whose events change what the dashboard shows. */
const LIVE_CHANNELS = ["pool", "timers"];

const pages = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "pages", "admin");
const requireFromHere = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  "dashboard.js": { file: path.join(pages, "dashboard.js"), type: "text/javascript" },
  "dashboard.css": { file: path.join(pages, "dashboard.css"), type: "text/css" },
  "uPlot.iife.min.js": { file: requireFromHere.resolve("uplot/dist/uPlot.iife.min.js"), type: "text/javascript" },
  "uPlot.min.css": { file: requireFromHere.resolve("uplot/dist/uPlot.min.css"), type: "text/css" },
};

type Access = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

async function accessOf(credentials: string | undefined, authenticate: Authenticate): Promise<Access> {
  try {
    const claims = await authenticate(credentials);
    if (!claims) return { allowed: false, status: 401, reason: "Sign in with an admin's token." };
    if (!claims.is_admin) return { allowed: false, status: 403, reason: "This token is not an admin's: the dashboard is for admins only." };
    return { allowed: true };
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    return { allowed: false, status: 401, reason: `The token was refused: ${error.message}.` };
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function signInPage(ctx: Koa.Context, access: Extract<Access, { allowed: false }>) {
  ctx.status = access.status;
  ctx.type = "html";
  ctx.body = (await readFile(path.join(pages, "sign-in.html"), "utf8")).replace("{{reason}}", escapeHtml(access.reason));
}

export function adminRouter(options: AdminOptions): Router {
  const router = new Router({ prefix: "/admin" });

  router.get("/assets/:name", async (ctx) => {
    const asset = ASSETS[ctx.params.name!];
    if (!asset) return;
    ctx.type = asset.type;
    ctx.set("cache-control", "no-cache");
    ctx.body = await readFile(asset.file);
  });

  router.post("/session", async (ctx) => {
    const body = Number(ctx.get("content-length") || 0) <= 16_384 ? ((await json(ctx.req).catch(() => null)) as { token?: unknown } | null) : null;
    if (typeof body?.token !== "string" || body.token.trim() === "") {
      ctx.status = 400;
      ctx.body = { error: 'send {"token": "<an admin\'s token>"} as JSON' };
      return;
    }
    const token = body.token.trim();
    const access = await accessOf(`Bearer ${token}`, options.authenticate);
    if (!access.allowed) {
      ctx.status = access.status;
      ctx.body = { error: access.reason };
      return;
    }
    setSessionCookie(ctx, token);
    ctx.status = 204;
  });

  router.delete("/session", (ctx) => {
    setSessionCookie(ctx, null);
    ctx.status = 204;
  });

  const adminOnly: RouterMiddleware = async (ctx, next) => {
    const access = await accessOf(credentialsOf(ctx), options.authenticate);
    if (access.allowed) return next();
    ctx.status = access.status;
    ctx.body = { error: access.reason };
  };

  router.get("/", async (ctx) => {
    const access = await accessOf(credentialsOf(ctx), options.authenticate);
    if (!access.allowed) return signInPage(ctx, access);
    ctx.type = "html";
    ctx.set("cache-control", "no-store");
    ctx.body = await readFile(path.join(pages, "dashboard.html"));
  });

  router.get("/data", adminOnly, async (ctx) => {
    const { rows: [row] } = await sql<{ dashboard: unknown }>`select app_public.admin_dashboard() as dashboard`.execute(options.db);
    ctx.set("cache-control", "no-store");
    ctx.body = row!.dashboard;
  });

  router.get("/events", adminOnly, (ctx) => streamChannels(ctx, options.hub, LIVE_CHANNELS, options.closing));

  return router;
}
