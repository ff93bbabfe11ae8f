// Campaign content helpers: a user's campaign seeded from the master template.
import type { TestDatabase } from "./database.ts";

/** Anything that runs a query as the owner: a TestDatabase, or a benchmark's adapter. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

export async function masterTemplateId(database: TestDatabase): Promise<string> {
  const [row] = await database.query<{ id: string }>("select id from app_public.campaigns where is_master_template");
  return row!.id;
}

/** A new, empty campaign owned by `email` (created if needed). */
export async function emptyCampaign(database: TestDatabase, email: string, name = "A campaign"): Promise<string> {
  const [row] = await database.query<{ id: string }>(
    `with owner as (
       insert into app_public.users (email) values ($1)
       on conflict (email) do update set email = excluded.email returning id
     )
     insert into app_public.campaigns (user_id, name) select id, $2 from owner returning id`,
    [email, name],
  );
  return row!.id;
}

export async function seededCampaign(database: TestDatabase, email: string, name?: string): Promise<string> {
  const id = await emptyCampaign(database, email, name);
  await database.query("select app_private.seed_campaign($1)", [id]);
  return id;
}

/** Rows per content table (the database's list, app_private.content_tables()) of a campaign. */
export async function rowCounts(database: Queryable, campaignId: string): Promise<Record<string, number>> {
  const [{ tables }] = (await database.query<{ tables: string[] }>("select app_private.content_tables() as tables")) as [
    { tables: string[] },
  ];
  const [row] = await database.query<Record<string, number>>(
    `select ${tables.map((table) => `(select count(*)::int from app_public.${table} where campaign_id = $1) as ${table}`).join(", ")}`,
    [campaignId],
  );
  return row!;
}
