// create_initial_pending_offers { campaign_id }: one pending offer per participant of the
// campaign's target population (sql/620_offers.sql), in batches of 1,000, each its own
// transaction; participants who have an offer keep it. At the end, one offers_created with the
// number inserted (none when 0), however many batches it took. Enqueued (job key per campaign)
// when its population is there: by a launch at a populated target, else by the end of the
// populate_target job that the launch or refresh enqueued (sql/630_launch_campaign.sql). Running it
// twice is harmless.
import type { Task } from "graphile-worker";
import { sumParticipantBatches } from "../src/participant-batches.ts";
import { isUuid } from "../src/uuid.ts";

const BATCH_SIZE = 1_000;

const task: Task = async (payload, helpers) => {
  const { campaign_id: campaignId } = (payload ?? {}) as { campaign_id?: unknown };
  if (!isUuid(campaignId)) throw new Error(`create_initial_pending_offers needs {"campaign_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  await helpers.withPgClient(async (client) => {
    const {
      rows: [campaign],
    } = await client.query<{ status: string; target_id: string | null }>(
      "select status, target_id from app_public.campaigns where id = $1",
      [campaignId],
    );
    // Gone, no longer running, or without a target: there is nothing to offer.
    if (campaign?.status !== "RUNNING" || !campaign.target_id) return;
    const { inserted: created } = await sumParticipantBatches(client, "app_private.create_offers_batch", campaignId, BATCH_SIZE, [
      "inserted",
    ]);
    await client.query("select app_private.announce_offers_created($1, $2)", [campaignId, created]);
    helpers.logger.debug(`create_initial_pending_offers ${campaignId}: ${created} created`);
  });
};

export default task;
