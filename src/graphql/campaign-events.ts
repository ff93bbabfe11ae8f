// Subscription.campaignEvents(campaignId) and marketerCampaignEvents(marketerId): the NOTIFY events
// of campaign:<id> and marketer:<id>:campaigns, for those who may see the campaign or the
// marketer. Visibility is checked at subscribe time by selecting the campaign or marketer as the
// visitor (row-level security decides), and each event re-reads the campaign the same way.
// The first event of every subscription is `subscribed`, sent once LISTEN is in place: the cue to
// read a snapshot (for campaignEvents it carries the campaign as it is). A client that reconnects
// subscribes again, so it gets a fresh one; what was sent while it was away it replays from
// Query.campaignEvents(campaignId, after: <the last cursor it saw>), skipping cursors it has.
import { jsonParse } from "postgraphile/@dataplan/json";
import { constant, context, inhibitOnNull, lambda, listen, SafeError } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";

export const CampaignEventsPlugin = extendSchema((build) => {
  const campaigns = build.input.pgRegistry.pgResources.campaigns;
  const marketers = build.input.pgRegistry.pgResources.marketers;
  if (!campaigns || !marketers) throw new Error("CampaignEventsPlugin: app_public.campaigns or marketers is not in the schema");
  return {
    typeDefs: gql`
      """
      Something happened to a campaign. Payloads carry ids only; query what you need.
      """
      type CampaignEvent {
        """
        What happened: subscribed (first, once listening: read your snapshot now),
        campaign_updated, target_populated, offers_created, …; resync after the server lost and
        regained its database connection (events may have been missed: re-read what you show).
        """
        event: String!
        """
        How many: people reached (target_populated), offers made (offers_created).
        """
        count: Int
        """
        The campaign's id (absent on resync).
        """
        campaignId: UUID
        """
        The event's position in the history (absent on subscribed and resync): events commit in
        cursor order. After a reconnect, replay with Query.campaignEvents(campaignId, after: it).
        """
        cursor: BigInt
        """
        The campaign as it is now, as you may see it.
        """
        campaign: Campaign
      }

      extend type Subscription {
        """
        Events of one campaign, from the moment the subscription starts. Refused when the
        campaign does not exist or is not visible to you.
        """
        campaignEvents(campaignId: UUID!): CampaignEvent
        """
        Events of every campaign of a marketer, from the moment the subscription starts. Refused
        when the marketer does not exist or you are not one of its members.
        """
        marketerCampaignEvents(marketerId: UUID!): CampaignEvent
      }
    `,
    objects: {
      Subscription: {
        plans: {
          campaignEvents: {
            subscribePlan(_$root, fieldArgs) {
              const $visible = campaigns.get({ id: fieldArgs.getRaw("campaignId") });
              const $topic = lambda($visible.get("id"), (id: string | null) => {
                if (!id) throw new SafeError("campaign not found, or you may not see it");
                return `campaign:${id}`;
              });
              const $subscribed = lambda($visible.get("id"), (id: string | null) =>
                JSON.stringify({ event: "subscribed", campaign_id: id }),
              );
              return listen(context().get("pgSubscriber"), $topic, jsonParse, $subscribed);
            },
            plan($event) {
              return $event;
            },
          },
          marketerCampaignEvents: {
            subscribePlan(_$root, fieldArgs) {
              const $visible = marketers.get({ id: fieldArgs.getRaw("marketerId") });
              const $topic = lambda($visible.get("id"), (id: string | null) => {
                if (!id) throw new SafeError("marketer not found, or you are not one of its members");
                return `marketer:${id}:campaigns`;
              });
              return listen(context().get("pgSubscriber"), $topic, jsonParse, constant(JSON.stringify({ event: "subscribed" })));
            },
            plan($event) {
              return $event;
            },
          },
        },
      },
      CampaignEvent: {
        plans: {
          campaignId($event) {
            return $event.get("campaign_id");
          },
          count($event) {
            return $event.get("count");
          },
          cursor($event) {
            return lambda($event.get("cursor"), (cursor: unknown) => (cursor == null ? null : String(cursor)));
          },
          campaign($event) {
            // An event without a campaign (resync) reads nothing: resync comes just after the
            // database was lost, and must reach the client even if it is not back for everyone.
            return campaigns.get({ id: inhibitOnNull($event.get("campaign_id")) });
          },
        },
      },
    },
  };
});
