// The browser pages (/admin, /campaigns): their HTML and assets, and signing in. A token pasted
// into the sign-in page is exchanged for the session cookie (src/auth/credentials.ts); every
// request of a page is then checked against that page's rule: any signed-in user, or admins only.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type Router from "@koa/router";
import type { RouterMiddleware } from "@koa/router";
import coBody from "co-body";
import type Koa from "koa";
import type { Authenticate } from "../auth/authenticate.ts";
import { credentialsOf, setSessionCookie } from "../auth/credentials.ts";
import { type Claims, TokenError } from "../auth/jwt.ts";
import { projectRoot } from "../config.ts";

const MAX_SIGN_IN_BODY = 16_384;
const pagesDir = path.join(projectRoot, "src", "pages");

export type Access = { allowed: true; claims: Claims } | { allowed: false; status: 401 | 403; reason: string };

export interface PageRule {
  /** Shown on the sign-in page. */
  title: string;
  adminsOnly: boolean;
}

async function accessOf(credentials: string | undefined, authenticate: Authenticate, rule: PageRule): Promise<Access> {
  try {
    const claims = await authenticate(credentials);
    if (!claims) return { allowed: false, status: 401, reason: `Sign in with ${rule.adminsOnly ? "an admin's" : "your"} token.` };
    if (rule.adminsOnly && !claims.is_admin) {
      return { allowed: false, status: 403, reason: "This token is not an admin's: the page is for admins only." };
    }
    return { allowed: true, claims };
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    return { allowed: false, status: 401, reason: `The token was refused: ${error.message}.` };
  }
}

// Text and double-quoted values only: enough for what the sign-in page fills in.
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sign-in page, with the status (401 or 403) and the reason. */
async function signInPage(ctx: Koa.Context, access: Extract<Access, { allowed: false }>, rule: PageRule, pagePath: string) {
  const html = await readFile(path.join(pagesDir, "sign-in.html"), "utf8");
  ctx.status = access.status;
  ctx.type = "html";
  ctx.set("cache-control", "no-store");
  ctx.body = html
    .replaceAll("{{title}}", escapeHtml(rule.title))
    .replaceAll("{{reason}}", escapeHtml(access.reason))
    .replaceAll("{{page}}", escapeHtml(pagePath));
}

/** The request's JSON body, or null when it is not JSON or is larger than a token could be. */
async function readSmallJson(ctx: Koa.Context): Promise<{ token?: unknown } | null> {
  try {
    return await coBody.json(ctx, { limit: MAX_SIGN_IN_BODY, strict: true });
  } catch {
    return null;
  }
}

/**
 * POST <prefix>/session {"token"} sets the session cookie when the token passes the rule (400,
 * 401 or 403 with the reason otherwise); DELETE <prefix>/session signs out. Also returns the
 * middleware that lets only those who pass the rule through, with ctx.state.claims set.
 */
export function pageSession(router: Router, authenticate: Authenticate, rule: PageRule): RouterMiddleware {
  router.post("/session", async (ctx) => {
    // JSON only: a cross-site form cannot send it without the browser asking first (CORS).
    const body = ctx.is("application/json") ? await readSmallJson(ctx) : null;
    if (typeof body?.token !== "string" || body.token.trim() === "") {
      ctx.status = 400;
      ctx.body = { error: 'send {"token": "<your token>"} as JSON' };
      return;
    }
    const token = body.token.trim();
    const access = await accessOf(`Bearer ${token}`, authenticate, rule);
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

  return async (ctx, next) => {
    const access = await accessOf(credentialsOf(ctx), authenticate, rule);
    if (!access.allowed) {
      ctx.status = access.status;
      ctx.body = { error: access.reason };
      return;
    }
    ctx.state.claims = access.claims;
    return next();
  };
}

export interface Asset {
  file: string;
  type: "text/javascript" | "text/css";
}

const requireFromHere = createRequire(import.meta.url);

/** Served under every page's prefix: the sign-in page's script and styles, and what the pages share. */
const SHARED_ASSETS: Record<string, Asset> = {
  "uPlot.iife.min.js": { file: requireFromHere.resolve("uplot/dist/uPlot.iife.min.js"), type: "text/javascript" },
  "uPlot.min.css": { file: requireFromHere.resolve("uplot/dist/uPlot.min.css"), type: "text/css" },
  "sign-in.js": { file: path.join(pagesDir, "sign-in.js"), type: "text/javascript" },
  "sign-in.css": { file: path.join(pagesDir, "sign-in.css"), type: "text/css" },
  "page.css": { file: path.join(pagesDir, "page.css"), type: "text/css" },
  "coalesced-reads.js": { file: path.join(pagesDir, "coalesced-reads.js"), type: "text/javascript" },
};

/**
 * GET <prefix>/assets/<name> for a fixed set of files (no paths from the request reach the disk).
 * Any other name is 404: a name is looked up among the set's own keys only, so `__proto__` or
 * `constructor` are unknown names like any other, not properties of every object.
 */
export function serveAssets(router: Router, pageAssets: Record<string, Asset>): void {
  const assets = new Map(Object.entries({ ...SHARED_ASSETS, ...pageAssets }));
  router.get("/assets/:name", async (ctx) => {
    const asset = assets.get(ctx.params.name!);
    if (!asset) return;
    ctx.type = asset.type;
    ctx.set("cache-control", "no-cache");
    ctx.body = await readFile(asset.file);
  });
}

/**
 * GET <prefix><route>: the page's HTML for those who pass the rule, else the sign-in page (401 or
 * 403). `accepts` may pass a request on to the routes after it (a parameter that is not one).
 */
export function servePage(
  router: Router,
  authenticate: Authenticate,
  rule: PageRule,
  pagePath: string,
  htmlFile: string,
  { route = "/", accepts = () => true }: { route?: string; accepts?: (ctx: Koa.Context) => boolean } = {},
): void {
  router.get(route, async (ctx, next) => {
    if (!accepts(ctx)) return next();
    const access = await accessOf(credentialsOf(ctx), authenticate, rule);
    if (!access.allowed) return signInPage(ctx, access, rule, pagePath);
    ctx.type = "html";
    ctx.set("cache-control", "no-store");
    ctx.body = await readFile(htmlFile);
  });
}
