// The master pool as benchmarks set it before a measured part: no refill still running, and
// exactly the campaigns asked for, vacuumed, so one part does not leak into the next.
import { type Kysely, sql } from "kysely";
import type { DB } from "../../src/db/kysely.ts";

/** Waits until no replenish_pool job is queued or running. */
export async function drainReplenishment(db: Kysely<DB>): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const {
      rows: [queue],
    } = await sql<{ jobs: number }>`
      select count(*)::int as jobs from graphile_worker.jobs where task_identifier = 'replenish_pool'
    `.execute(db);
    if (queue!.jobs === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("replenish_pool jobs were still queued after 5 minutes");
}

/** Sets the master pool target and makes the pool hold exactly that many ready campaigns. */
export async function fillMasterPool(db: Kysely<DB>, size: number): Promise<void> {
  await sql`select app_private.set_setting('pool_target_size', ${String(size)}::jsonb)`.execute(db);
  await drainReplenishment(db);
  // Surplus left by a previous part's refill: keep the oldest, as create_campaign takes them.
  await sql`
    delete from app_public.campaigns
     where is_pool and pool_type = 'master'
       and id not in (select id from app_public.campaigns where is_pool and pool_type = 'master' order by pool_created_at limit ${size})
  `.execute(db);
  for (;;) {
    const {
      rows: [added],
    } = await sql<{ id: string | null }>`select app_private.add_pool_campaign('master') as id`.execute(db);
    if (!added!.id) break;
  }
  // A pool filled in seconds would otherwise be vacuumed and analysed by autovacuum in the middle
  // of the part; in production pools fill over minutes and autovacuum keeps up.
  await sql`vacuum (analyze) app_public.campaigns, app_public.factions, app_public.junctures, app_public.schticks,
    app_public.weapons, app_public.characters, app_public.vehicles, app_public.sites, app_public.parties,
    app_public.character_schticks, app_public.carries, app_public.pool_assignments`.execute(db);
}
