// create_initial_pending_offers { campaign_id }: one pending offer per participant of the
// campaign's target population (sql/620_offers.sql), in batches of 1,000, each its own
// transaction; participants who have an offer keep it. While the target is still being populated
// it reschedules itself (for up to ten minutes). At the end, one offers_created with the number inserted (none when 0),
// however many batches it took. Enqueued by launch_campaign and refresh_offers.
import type { Task } from "graphile-worker";
import { sumParticipantBatches } from "../src/participant-batches.ts";
import { isUuid } from "../src/uuid.ts";

const BATCH_SIZE = 1_000;
const WAIT_FOR_POPULATION_MS = 1_000;
// Ten minutes of waiting: a population that takes longer has failed (populate_target's own
// errors say why); this job then fails too, visibly, and graphile-worker retries it with backoff.
const MAX_WAITS = 600;

const task: Task = async (payload, helpers) => {
  const { campaign_id: campaignId, waits = 0 } = (payload ?? {}) as { campaign_id?: unknown; waits?: number };
  if (!isUuid(campaignId)) throw new Error(`create_initial_pending_offers needs {"campaign_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  await helpers.withPgClient(async (client) => {
    const { rows: [campaign] } = await client.query<{ status: string; population_status: string | null }>(
      "select c.status, t.population_status from app_public.campaigns c left join app_public.targets t on t.id = c.target_id where c.id = $1",
      [campaignId],
    );
    // Gone, or no longer running: there is nothing to offer.
    if (!campaign || campaign.status !== "RUNNING" || !campaign.population_status) return;
    if (campaign.population_status !== "populated") {
      if (waits >= MAX_WAITS) throw new Error(`the target of campaign ${campaignId} is still ${campaign.population_status} after ${MAX_WAITS} s`);
      await helpers.addJob("create_initial_pending_offers", { campaign_id: campaignId, waits: waits + 1 }, {
        runAt: new Date(Date.now() + WAIT_FOR_POPULATION_MS),
        jobKey: `create_initial_pending_offers:${campaignId}`,
      });
      return;
    }
    const { inserted: created } = await sumParticipantBatches(client, "app_private.create_offers_batch", campaignId, BATCH_SIZE, ["inserted"]);
    await client.query("select app_private.announce_offers_created($1, $2)", [campaignId, created]);
    helpers.logger.debug(`create_initial_pending_offers ${campaignId}: ${created} created`);
  });
};

export default task;
