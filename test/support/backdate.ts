// Ages a campaign and the content of some of its tables by a week, as if they had been written
// then. The timestamps trigger keeps created_at on every update, so the owner steps around it.
import type { TestDatabase } from "./database.ts";

export async function backdateByAWeek(database: TestDatabase, campaignId: string, tables: string[]): Promise<void> {
  for (const table of tables) {
    await database.query(`alter table app_public.${table} disable trigger _100_timestamps`);
    await database.query(
      `update app_public.${table} set created_at = now() - interval '7 days', updated_at = now() - interval '7 days'
        where ${table === "campaigns" ? "id" : "campaign_id"} = $1`,
      [campaignId],
    );
    await database.query(`alter table app_public.${table} enable trigger _100_timestamps`);
  }
}
