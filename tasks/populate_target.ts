// populate_target { target_id }: computes a target's population in batches of participants, each
// batch one transaction that applies only the difference (sql/610_populate_target.sql), then marks
// the target populated and announces target_populated to every campaign launched at it.
// Enqueued (job key per target) by launch_campaign and refresh_offers. Running it twice is harmless.
import type { Task } from "graphile-worker";
import { sumParticipantBatches } from "../src/participant-batches.ts";
import { isUuid } from "../src/uuid.ts";

const BATCH_SIZE = 10_000;

const task: Task = async (payload, helpers) => {
  const { target_id: targetId } = (payload ?? {}) as { target_id?: unknown };
  if (!isUuid(targetId)) throw new Error(`populate_target needs {"target_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  await helpers.withPgClient(async (client) => {
    await client.query("select app_private.start_target_population($1)", [targetId]);
    const totals = await sumParticipantBatches(client, "app_private.populate_target_batch", targetId, BATCH_SIZE, ["inserted", "moved", "deleted"]);
    const { rows: [{ population }] } = await client.query<{ population: number }>(
      "select app_private.finish_target_population($1) as population", [targetId],
    );
    helpers.logger.debug(`populate_target ${targetId}: ${population} reached (${JSON.stringify(totals)})`);
  });
};

export default task;
