// `npm run template:load` (and `npm start` on an empty database): creates the master template
// campaign from the generator and publishes it as template version 1, in one transaction.
// Idempotent: an existing template is kept (and published first if it never was, as in a database
// from before template versions).
import { type Kysely, sql } from "kysely";
import { config, imageKitConfig } from "../config.ts";
import type { DB } from "../db/kysely.ts";
import { createKysely } from "../db/kysely.ts";
import { generateTemplate, type TemplateContent } from "./generate.ts";

export interface LoadOptions {
  ownerEmail: string;
  urlEndpoint: string;
  /** Called once per step with (steps done, steps in all, what was just done). */
  onProgress?: (done: number, total: number, step: string) => void;
}

async function findMasterTemplate(db: Kysely<DB>): Promise<string | undefined> {
  const row = await db.selectFrom("app_public.campaigns").select("id").where("is_master_template", "=", true).executeTakeFirst();
  return row?.id;
}

/** Publishes the master template as the first version, if no version was ever published. */
async function publishFirstVersion(db: Kysely<DB>): Promise<void> {
  await sql`select app_public.publish_template('first version')
             where not exists (select 1 from app_public.template_versions)`.execute(db);
}

export async function loadTemplate(db: Kysely<DB>, options: LoadOptions): Promise<{ campaignId: string; created: boolean }> {
  const existing = await findMasterTemplate(db);
  if (existing) {
    // CE105: another process published it in the meantime.
    await publishFirstVersion(db).catch((error: { code?: string }) => {
      if (error.code !== "CE105") throw error;
    });
    return { campaignId: existing, created: false };
  }

  const content: TemplateContent = generateTemplate(options.urlEndpoint);
  // The database's list of content tables, which is also the order their references need.
  const { rows } = await sql<{ tables: (keyof TemplateContent)[] }>`select app_private.content_tables() as tables`.execute(db);
  const tables = rows[0]!.tables;
  const total = tables.length + 3;
  const progress = (done: number, step: string) => options.onProgress?.(done, total, step);

  return db.transaction().execute(async (trx) => {
    const owner = await trx
      .insertInto("app_public.users")
      .values({ email: options.ownerEmail, name: "Master template owner" })
      .onConflict((conflict) => conflict.column("email").doUpdateSet({ email: options.ownerEmail }))
      .returning("id")
      .executeTakeFirstOrThrow();
    const campaign = await trx
      .insertInto("app_public.campaigns")
      .values({
        user_id: owner.id,
        name: "Master template",
        description: "The content every new campaign starts with.",
        is_master_template: true,
        seeded_at: new Date(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    progress(1, "campaign");

    // Images are keyed by their ImageKit file id; a reload finds them there already.
    await trx
      .insertInto("app_public.images")
      .values(content.images as never)
      .onConflict((conflict) => conflict.column("file_id").doNothing())
      .execute();
    progress(2, `${content.images.length} images`);

    for (const [index, table] of tables.entries()) {
      const rows = content[table].map((row) => ({ ...row, campaign_id: campaign.id }));
      if (rows.length > 0)
        await trx
          .insertInto(`app_public.${table}`)
          .values(rows as never)
          .execute();
      progress(index + 3, `${rows.length} ${table}`);
    }
    await publishFirstVersion(trx);
    progress(total, "version 1 published");
    return { campaignId: campaign.id, created: true };
  });
}

/** Loads the template into the database at `ownerUrl` with the configured owner and URL endpoint. */
export async function ensureMasterTemplate(ownerUrl: string, onProgress?: LoadOptions["onProgress"]) {
  const db = createKysely(ownerUrl, { part: "migrate", max: 1 });
  try {
    return await loadTemplate(db, { ownerEmail: config.masterOwnerEmail, urlEndpoint: imageKitConfig().urlEndpoint, onProgress });
  } finally {
    await db.destroy();
  }
}
