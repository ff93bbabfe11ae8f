// populate_target { target_id }: computes a target's population in batches of participants, each
// batch one transaction that applies only the difference (sql/610_populate_target.sql), then marks
// the target populated and announces target_populated to every campaign launched at it.
// Enqueued (job key per target) by launch_campaign and refresh_offers. Running it twice is harmless.
import type { Task } from "graphile-worker";
import { isUuid } from "../src/uuid.ts";

const BATCH_SIZE = 10_000;

interface Batch {
  last_participant_id: string | null;
  inserted: number;
  moved: number;
  deleted: number;
}

const task: Task = async (payload, helpers) => {
  const { target_id: targetId } = (payload ?? {}) as { target_id?: unknown };
  if (!isUuid(targetId)) throw new Error(`populate_target needs {"target_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  await helpers.withPgClient(async (client) => {
    await client.query("select app_private.start_target_population($1)", [targetId]);
    const totals = { inserted: 0, moved: 0, deleted: 0 };
    let after: string | null = null;
    for (;;) {
      const batch: Batch = (await client.query("select app_private.populate_target_batch($1, $2, $3) as batch", [targetId, after, BATCH_SIZE])).rows[0].batch;
      if (!batch.last_participant_id) break;
      for (const key of ["inserted", "moved", "deleted"] as const) totals[key] += Number(batch[key]);
      after = batch.last_participant_id;
    }
    const { rows: [{ population }] } = await client.query<{ population: number }>(
      "select app_private.finish_target_population($1) as population", [targetId],
    );
    helpers.logger.debug(`populate_target ${targetId}: ${population} reached (${JSON.stringify(totals)})`);
  });
};

export default task;
