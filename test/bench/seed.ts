// Seeding benchmark: app_private.seed_campaign (set-based, one INSERT … SELECT per table) against
// a row-by-row baseline measured in the same run: one INSERT per record from Node, references
// fixed up afterwards, the way an ORM duplicator copies a campaign. The baseline runs two ways:
// each INSERT committing on its own (an ORM's plain `create` in a loop: `baseline_ms_p50`, the
// ratio's denominator) and all of them inside one long transaction (`baseline_one_tx_ms_p50`).
//   npm run bench -- seed            BENCH_CAMPAIGNS (default 30), BENCH_BASELINE_CAMPAIGNS (default 3)
import { CompiledQuery, type Kysely, sql } from "kysely";
import { createKysely, type DB } from "../../src/db/kysely.ts";
import { rowCounts } from "../support/content.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS || 30);
const BASELINE_CAMPAIGNS = Number(process.env.BENCH_BASELINE_CAMPAIGNS || 3);
const WARM_UP = 2;

type Row = Record<string, unknown> & { id?: string };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (ms: number) => Math.round(ms * 100) / 100;

async function newCampaign(db: Kysely<DB>, ownerId: string, name: string): Promise<string> {
  const row = await db.insertInto("app_public.campaigns").values({ user_id: ownerId, name }).returning("id").executeTakeFirstOrThrow();
  return row.id;
}

async function timeSetBased(db: Kysely<DB>, campaignId: string): Promise<number> {
  const started = performance.now();
  await sql`select app_private.seed_campaign(${campaignId})`.execute(db);
  return performance.now() - started;
}

/** The baseline: read the template, insert each record on its own, then fix references. */
async function timeRowByRow(db: Kysely<DB>, templateId: string, campaignId: string, { oneTransaction }: { oneTransaction: boolean }) {
  const started = performance.now();
  const copy = async (trx: Kysely<DB>) => {
    const read = (table: string) =>
      trx
        .selectFrom(`app_public.${table}` as never)
        .selectAll()
        .where("campaign_id" as never, "=", templateId as never)
        .execute() as Promise<Row[]>;
    const newIds = new Map<string, string>();
    const insertEach = async (table: string, rows: Row[], mapped: (row: Row) => Row) => {
      for (const row of rows) {
        const { id, created_at: _c, updated_at: _u, ...values } = row;
        const inserted = await (trx as Kysely<any>)
          .insertInto(`app_public.${table}`)
          .values({ ...mapped(values), campaign_id: campaignId })
          .returning(table === "character_schticks" || table === "carries" ? ["campaign_id"] : ["id"])
          .executeTakeFirstOrThrow();
        if (id) newIds.set(id, inserted.id);
      }
    };
    const remap = (value: unknown) => (value ? (newIds.get(value as string) ?? null) : null);

    await insertEach("factions", await read("factions"), (row) => row);
    await insertEach("junctures", await read("junctures"), (row) => ({ ...row, faction_id: remap(row.faction_id) }));
    const schticks = await read("schticks");
    await insertEach("schticks", schticks, (row) => ({ ...row, prerequisite_id: null, archetypes: JSON.stringify(row.archetypes) }));
    await insertEach("weapons", await read("weapons"), (row) => row);
    const characters = await read("characters");
    const json = (value: unknown) => JSON.stringify(value);
    await insertEach("characters", characters, (row) => ({
      ...row,
      action_values: json(row.action_values),
      skills: json(row.skills),
      description: json(row.description),
      faction_id: remap(row.faction_id),
      juncture_id: remap(row.juncture_id),
      equipped_weapon_id: null,
    }));
    for (const table of ["vehicles", "sites", "parties"]) {
      await insertEach(table, await read(table), (row) => ({
        ...row,
        faction_id: remap(row.faction_id),
        juncture_id: remap(row.juncture_id),
        ...("action_values" in row ? { action_values: json(row.action_values) } : {}),
      }));
    }
    await insertEach("character_schticks", await read("character_schticks"), (row) => ({
      character_id: remap(row.character_id),
      schtick_id: remap(row.schtick_id),
    }));
    await insertEach("carries", await read("carries"), (row) => ({
      character_id: remap(row.character_id),
      weapon_id: remap(row.weapon_id),
    }));
    // The fix-up pass: references that could not be set while inserting.
    for (const schtick of schticks.filter((row) => row.prerequisite_id)) {
      await trx
        .updateTable("app_public.schticks")
        .set({ prerequisite_id: remap(schtick.prerequisite_id) })
        .where("id", "=", remap(schtick.id)!)
        .execute();
    }
    for (const character of characters.filter((row) => row.equipped_weapon_id)) {
      await trx
        .updateTable("app_public.characters")
        .set({ equipped_weapon_id: remap(character.equipped_weapon_id) })
        .where("id", "=", remap(character.id)!)
        .execute();
    }
  };
  if (oneTransaction) await db.transaction().execute(copy);
  else await copy(db);
  return performance.now() - started;
}

const prepared = await prepareDatabase("campaign_engine_bench", "bench");
const db = createKysely(prepared.url, { max: 1 });
try {
  const template = await db
    .selectFrom("app_public.campaigns")
    .select(["id", "user_id"])
    .where("is_master_template", "=", true)
    .executeTakeFirstOrThrow();
  const asOwner = {
    query: async <Row>(text: string, values: unknown[] = []) => (await db.executeQuery<Row>(CompiledQuery.raw(text, values))).rows,
  };
  const rowsPerCampaign = Object.values(await rowCounts(asOwner, template.id)).reduce((sum, count) => sum + count, 0);

  const seedTimes: number[] = [];
  for (let i = 0; i < WARM_UP + CAMPAIGNS; i++) {
    const ms = await timeSetBased(db, await newCampaign(db, template.user_id, `set-based ${i}`));
    if (i >= WARM_UP) seedTimes.push(ms);
  }
  const baselineTimes: number[] = [];
  const oneTransactionTimes: number[] = [];
  for (let i = 0; i < BASELINE_CAMPAIGNS; i++) {
    baselineTimes.push(
      await timeRowByRow(db, template.id, await newCampaign(db, template.user_id, `row-by-row ${i}`), { oneTransaction: false }),
    );
    oneTransactionTimes.push(
      await timeRowByRow(db, template.id, await newCampaign(db, template.user_id, `one tx ${i}`), { oneTransaction: true }),
    );
  }

  const result = {
    bench: "seed",
    rows_per_campaign: rowsPerCampaign,
    campaigns: CAMPAIGNS,
    baseline_campaigns: BASELINE_CAMPAIGNS,
    seed_ms_p50: round(percentile(seedTimes, 50)),
    seed_ms_p95: round(percentile(seedTimes, 95)),
    baseline_ms_p50: round(percentile(baselineTimes, 50)),
    ratio: round(percentile(baselineTimes, 50) / percentile(seedTimes, 50)),
    baseline_one_tx_ms_p50: round(percentile(oneTransactionTimes, 50)),
    ratio_one_tx: round(percentile(oneTransactionTimes, 50) / percentile(seedTimes, 50)),
    postgres: prepared.embedded ? "embedded" : "DATABASE_URL",
  };
  console.table([
    { method: "seed_campaign (set-based)", campaigns: CAMPAIGNS, p50_ms: result.seed_ms_p50, p95_ms: result.seed_ms_p95 },
    {
      method: "row by row, each INSERT commits",
      campaigns: BASELINE_CAMPAIGNS,
      p50_ms: result.baseline_ms_p50,
      p95_ms: round(percentile(baselineTimes, 95)),
    },
    {
      method: "row by row, one transaction",
      campaigns: BASELINE_CAMPAIGNS,
      p50_ms: result.baseline_one_tx_ms_p50,
      p95_ms: round(percentile(oneTransactionTimes, 95)),
    },
  ]);
  console.log(JSON.stringify(result));
} finally {
  await db.destroy();
  await prepared.close();
}
