// Subscription.campaignEvents(campaignId): the NOTIFY events of campaign:<id>, for those who may
// see the campaign. Visibility is checked at subscribe time by selecting the campaign as the
// visitor (row-level security decides), and each event re-reads the campaign the same way.
import { jsonParse } from "postgraphile/@dataplan/json";
import { context, lambda, listen, SafeError } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";

export const CampaignEventsPlugin = extendSchema((build) => {
  const campaigns = build.input.pgRegistry.pgResources.campaigns;
  if (!campaigns) throw new Error("CampaignEventsPlugin: app_public.campaigns is not in the schema");
  return {
    typeDefs: gql`
      """
      Something happened to a campaign. Payloads carry ids only; query what you need.
      """
      type CampaignEvent {
        """
        What happened: campaign_updated, …; resync after the server lost and regained its
        database connection (events may have been missed: re-read what you show).
        """
        event: String!
        """
        The campaign's id (absent on resync).
        """
        campaignId: UUID
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
              return listen(context().get("pgSubscriber"), $topic, jsonParse);
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
          campaign($event) {
            return campaigns.get({ id: $event.get("campaign_id") });
          },
        },
      },
    },
  };
});
