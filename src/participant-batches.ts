// Walking participants in batches, as populate_target and create_initial_pending_offers do: each
// call of a batch function (sql/610_populate_target.sql, sql/620_offers.sql) is one transaction
// over the next batch after a participant id, and returns the last participant it handled (null
// when none was left) with its counts.
import type { ClientBase } from "pg";

/** Calls `batchFunction(id, after, batchSize)` until the participants run out; returns the summed counts. */
export async function sumParticipantBatches<Count extends string>(
  client: ClientBase,
  batchFunction: string,
  id: string,
  batchSize: number,
  counts: readonly Count[],
): Promise<Record<Count, number>> {
  type Batch = { last_participant_id: string | null } & Record<Count, number>;
  const next = async (after: string | null): Promise<Batch> =>
    (await client.query(`select ${batchFunction}($1, $2, $3) as batch`, [id, after, batchSize])).rows[0].batch;
  const totals = Object.fromEntries(counts.map((count) => [count, 0])) as Record<Count, number>;
  let after: string | null = null;
  for (;;) {
    const batch = await next(after);
    if (!batch.last_participant_id) return totals;
    for (const count of counts) totals[count] += Number(batch[count]);
    after = batch.last_participant_id;
  }
}
