// /campaigns: the campaigns manager, for any signed-in user; each sees the marketers they are a
// member of. The page reads and acts through GraphQL (with the session cookie, so row-level
// security decides what it sees) and listens to its marketer's events here:
//   GET    /campaigns                         the page (or the sign-in page, with 401)
//   POST   /campaigns/session                 {"token": "…"} → sets the session cookie
//   DELETE /campaigns/session                 signs out
//   GET    /campaigns/events?marketerId=…     server-sent events of marketer:<id>:campaigns
//                                            (403 unless you are a member, or an admin)
//   GET    /campaigns/assets/…                the page's script and styles
import path from "node:path";
import { fileURLToPath } from "node:url";
import Router from "@koa/router";
import { type Kysely, sql } from "kysely";
import type { Authenticate } from "../auth/authenticate.ts";
import type { Claims } from "../auth/jwt.ts";
import type { DB } from "../db/kysely.ts";
import { pgSettingsFor } from "../graphql/preset.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import { isUuid } from "../uuid.ts";
import { type Asset, pageSession, type PageRule, serveAssets, servePage } from "./pages.ts";
import { streamChannels } from "./sse.ts";

export interface CampaignsPageOptions {
  db: Kysely<DB>;
  hub: NotificationHub;
  authenticate: Authenticate;
  /** Aborted when the server shuts down: ends the event streams. */
  closing: AbortSignal;
}

const RULE: PageRule = { title: "campaigns", adminsOnly: false };
const pages = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "pages", "campaigns");
const ASSETS: Record<string, Asset> = {
  "campaigns.js": { file: path.join(pages, "campaigns.js"), type: "text/javascript" },
  "campaigns.css": { file: path.join(pages, "campaigns.css"), type: "text/css" },
  "live.js": { file: path.join(pages, "..", "live.js"), type: "text/javascript" },
};

/** The database's own rule (the one row-level security applies), asked with the caller's claims. */
async function maySeeMarketer(db: Kysely<DB>, claims: Claims, marketerId: string): Promise<boolean> {
  const settings = pgSettingsFor(claims);
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('jwt.claims.user_id', ${settings["jwt.claims.user_id"]}, true),
                     set_config('jwt.claims.is_admin', ${settings["jwt.claims.is_admin"]}, true)`.execute(trx);
    const { rows: [row] } = await sql<{ allowed: boolean }>`select app_private.current_user_may_see_marketer(${marketerId}::uuid) as allowed`.execute(trx);
    return row!.allowed;
  });
}

export function campaignsRouter(options: CampaignsPageOptions): Router {
  const router = new Router({ prefix: "/campaigns" });
  serveAssets(router, ASSETS);
  servePage(router, options.authenticate, RULE, "/campaigns", path.join(pages, "campaigns.html"));
  const signedIn = pageSession(router, options.authenticate, RULE);

  router.get("/events", signedIn, async (ctx) => {
    const marketerId = ctx.query.marketerId;
    if (typeof marketerId !== "string" || !isUuid(marketerId)) {
      ctx.status = 400;
      ctx.body = { error: "marketerId must be the uuid of a marketer" };
      return;
    }
    if (!(await maySeeMarketer(options.db, ctx.state.claims, marketerId))) {
      ctx.status = 403;
      ctx.body = { error: "you are not a member of that marketer" };
      return;
    }
    await streamChannels(ctx, options.hub, [`marketer:${marketerId}:campaigns`], options.closing);
  });

  return router;
}
