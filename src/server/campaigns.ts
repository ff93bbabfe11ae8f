// /campaigns: the campaigns manager, for any signed-in user; each sees the marketers they are a
// member of. The page reads and acts through GraphQL (with the session cookie, so row-level
// security decides what it sees) and listens to its marketer's events here:
//   GET    /campaigns                         the page (or the sign-in page, with 401)
//   POST   /campaigns/session                 {"token": "…"} → sets the session cookie
//   DELETE /campaigns/session                 signs out
//   GET    /campaigns/events?marketerId=…     server-sent events of marketer:<id>:campaigns
//                                            (403 unless you are a member, or an admin)
//   GET    /campaigns/events?campaignId=…     server-sent events of campaign:<id> (403 unless
//                                            you may see the campaign)
//   GET    /campaigns/<id>                    one campaign, live (the sign-in page, with 401)
//   GET    /campaigns/assets/…                the pages' scripts and styles
import path from "node:path";
import { fileURLToPath } from "node:url";
import Router from "@koa/router";
import type { Authenticate } from "../auth/authenticate.ts";
import { isUuid } from "../uuid.ts";
import { type Asset, type PageRule, pageSession, serveAssets, servePage } from "./pages.ts";
import { type EventStreams, refuseStream, streamChannels } from "./sse.ts";

export interface CampaignsPageOptions {
  authenticate: Authenticate;
  streams: EventStreams;
}

const RULE: PageRule = { title: "campaigns", adminsOnly: false };
const pages = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "pages", "campaigns");
const script = (name: string): Asset => ({ file: path.join(pages, name), type: "text/javascript" });
const ASSETS: Record<string, Asset> = {
  "campaigns.js": script("campaigns.js"),
  "api.js": script("api.js"),
  "members.js": script("members.js"),
  "targets.js": script("targets.js"),
  "campaign-setup.js": script("campaign-setup.js"),
  "my-campaigns.js": script("my-campaigns.js"),
  "campaigns.css": { file: path.join(pages, "campaigns.css"), type: "text/css" },
  "campaign.js": script("campaign.js"),
};

export function campaignsRouter(options: CampaignsPageOptions): Router {
  const router = new Router({ prefix: "/campaigns" });
  serveAssets(router, ASSETS);
  servePage(router, options.authenticate, RULE, "/campaigns", path.join(pages, "campaigns.html"));
  const signedIn = pageSession(router, options.authenticate, RULE);

  router.get("/events", signedIn, async (ctx) => {
    const { marketerId, campaignId } = ctx.query;
    const channel =
      typeof marketerId === "string" && isUuid(marketerId)
        ? `marketer:${marketerId}:campaigns`
        : typeof campaignId === "string" && isUuid(campaignId)
          ? `campaign:${campaignId}`
          : undefined;
    if (!channel) {
      ctx.status = 400;
      ctx.body = { error: "pass marketerId (the uuid of a marketer) or campaignId (the uuid of a campaign)" };
      return;
    }
    const refusal = options.streams.caps.refusal({ userId: ctx.state.claims.sub });
    if (refusal) return refuseStream(ctx, refusal);
    // The same question the stream asks again whenever the user's rights change.
    if (!(await options.streams.rights.mayListen(ctx.state.claims, channel))) {
      ctx.status = 403;
      ctx.body = { error: marketerId ? "you are not a member of that marketer" : "campaign not found, or you may not see it" };
      return;
    }
    await streamChannels(ctx, options.streams, ctx.state.claims, [channel]);
  });

  // Last: /events, /session and /assets are not campaign ids.
  servePage(router, options.authenticate, RULE, "/campaigns", path.join(pages, "campaign.html"), {
    route: "/:id",
    accepts: (ctx) => isUuid(ctx.params.id ?? ""),
  });

  return router;
}
