// GraphQL subscriptions over websockets, fed by NOTIFY from a statement-level trigger: an event
// arrives once an UPDATE commits, never for one that rolls back, and only for those who may see
// the campaign.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("subscriptions");
const server = useTestApp(database, { worker: false });

const CAMPAIGN_EVENTS = `subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event campaignId campaign { name } } }`;
interface Event {
  campaignEvents: { event: string; campaignId: string; campaign: { name: string } | null };
}

let ownerToken: string, strangerToken: string, campaignId: string;

beforeAll(async () => {
  ownerToken = await tokenFor(database, "owner@example.com");
  strangerToken = await tokenFor(database, "stranger@example.com");
  const [row] = await database.query<{ id: string }>(
    `insert into app_public.campaigns (user_id, name) select id, 'Opening night' from app_public.users where email = 'owner@example.com' returning id`,
  );
  campaignId = row!.id;
});

async function rename(name: string, { commit }: { commit: boolean }) {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("update app_public.campaigns set name = $1 where id = $2", [name, campaignId]);
    await client.query(commit ? "commit" : "rollback");
  } finally {
    await client.end();
  }
}

describe("campaignEvents", () => {
  test("delivers campaign_updated after a committed UPDATE and nothing for a rolled-back one", async () => {
    const subscription = subscribe<Event>(server.url, CAMPAIGN_EVENTS, { id: campaignId }, ownerToken);
    try {
      // The first event, subscribed, comes once the subscription listens, with the campaign as it is.
      await waitFor(
        async () => subscription.events.length,
        (count) => count > 0,
      );
      expect(subscription.events[0]).toEqual({
        campaignEvents: { event: "subscribed", campaignId, campaign: { name: expect.any(String) } },
      });
      const baseline = subscription.events.length;

      await rename("never happened", { commit: false });
      await rename("Closing night", { commit: true });
      await waitFor(
        async () => subscription.events.at(-1)?.campaignEvents.campaign?.name,
        (name) => name === "Closing night",
      );
      // A sentinel on the campaign's topic, sent after both: a second event for either would come before it.
      await database.query("select pg_notify($1, $2)", [
        `campaign:${campaignId}`,
        JSON.stringify({ event: "sentinel", campaign_id: campaignId }),
      ]);
      await waitFor(
        async () => subscription.events.at(-1)?.campaignEvents.event,
        (event) => event === "sentinel",
      );

      expect(subscription.errors).toEqual([]);
      expect(subscription.events.slice(baseline)).toEqual([
        { campaignEvents: { event: "campaign_updated", campaignId, campaign: { name: "Closing night" } } },
        { campaignEvents: { event: "sentinel", campaignId, campaign: { name: "Closing night" } } },
      ]);
    } finally {
      await subscription.stop();
    }
  });

  test("resync, sent when the LISTEN connection comes back, reaches the subscriber without waiting on the database", async () => {
    const subscription = subscribe<Event>(server.url, CAMPAIGN_EVENTS, { id: campaignId }, ownerToken);
    // The campaign table locked: an event that needed to read the campaign would wait for it.
    const holder = new pg.Client({ connectionString: database.ownerUrl });
    await holder.connect();
    try {
      await waitFor(
        async () => subscription.events.length,
        (count) => count > 0,
      );
      await holder.query("begin; lock table app_public.campaigns in access exclusive mode");
      await database.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'campaign-engine:listen'",
      );
      await waitFor(
        async () => subscription.events.at(-1)?.campaignEvents.event,
        (event) => event === "resync",
      );
      expect(subscription.events.at(-1)).toEqual({ campaignEvents: { event: "resync", campaignId: null, campaign: null } });
      expect(subscription.errors).toEqual([]);
    } finally {
      await holder.query("rollback").catch(() => {});
      await holder.end();
      await subscription.stop();
    }
  });

  test("refuses a user who may not see the campaign", async () => {
    const subscription = subscribe<Event>(server.url, CAMPAIGN_EVENTS, { id: campaignId }, strangerToken);
    try {
      // Refused, the subscription is over (graphql-ws drops whatever would follow), so what can be
      // checked is that nothing, not even subscribed with the campaign's name, came before the refusal.
      await waitFor(async () => subscription.ended, Boolean);
      expect(subscription.errors).toHaveLength(1);
      expect(String((subscription.errors[0] as Error).message)).toMatch(/campaign not found, or you may not see it/);
      expect(subscription.events).toEqual([]);
    } finally {
      await subscription.stop();
    }
  });
});
