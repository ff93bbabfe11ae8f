// populate_target [{ target_id, campaign_id }, …]: computes a target's population in batches of
// participants, each batch one transaction that applies only the difference
// (sql/610_populate_target.sql), then marks the target populated, announces target_populated to
// every campaign at it, and enqueues the offers of the campaigns listed: those whose launch or
// refresh asked for this population (sql/630_launch_campaign.sql). Enqueued with a job key per
// target, so the lists of launches that come while it is queued are appended into one job. A
// single { target_id } (an operator's) populates without offers. Running it twice is harmless.
import type { Task } from "graphile-worker";
import { sumParticipantBatches } from "../src/participant-batches.ts";
import { isUuid } from "../src/uuid.ts";

const BATCH_SIZE = 10_000;

const task: Task = async (payload, helpers) => {
  const asks = (Array.isArray(payload) ? payload : [payload ?? {}]) as { target_id?: unknown; campaign_id?: unknown }[];
  const targetId = asks[0]?.target_id;
  const campaignIds = asks.flatMap((ask) => (ask.campaign_id === undefined ? [] : [ask.campaign_id]));
  if (!isUuid(targetId) || asks.some((ask) => ask.target_id !== targetId) || !campaignIds.every(isUuid)) {
    throw new Error(
      `populate_target needs [{"target_id": "<uuid>", "campaign_id": "<uuid>"}, …] (one target) or {"target_id": "<uuid>"}, got ${JSON.stringify(payload)}`,
    );
  }
  await helpers.withPgClient(async (client) => {
    await client.query("select app_private.start_target_population($1)", [targetId]);
    const totals = await sumParticipantBatches(client, "app_private.populate_target_batch", targetId, BATCH_SIZE, [
      "inserted",
      "moved",
      "deleted",
    ]);
    const {
      rows: [{ population }],
    } = await client.query<{ population: number }>("select app_private.finish_target_population($1, $2::uuid[]) as population", [
      targetId,
      campaignIds,
    ]);
    helpers.logger.debug(
      `populate_target ${targetId}: ${population} reached (${JSON.stringify(totals)}), offers for ${campaignIds.length} campaigns`,
    );
  });
};

export default task;
