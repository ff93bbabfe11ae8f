// The project's command line: `node src/cli.ts <command>` (npm scripts wrap each command).
// First: config.ts sets GRAPHILE_ENV, which PostGraphile reads when it loads.
import "./config.ts";
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { type Kysely, sql } from "kysely";
import { issueToken } from "./auth/issue-token.ts";
import { createPool } from "./db/connection.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { createKysely, type DB } from "./db/kysely.ts";
import { migrate } from "./db/migrate.ts";
import { ensureDemo } from "./demo/create.ts";
import { findDemo } from "./demo/find.ts";
import { demoReport } from "./demo/report.ts";
import { importParticipantsFile } from "./participants/import.ts";
import { byteProgress, stepProgress } from "./progress.ts";
import { exportTemplate, loadTemplateFile } from "./template/file.ts";
import { ensureMasterTemplate } from "./template/load.ts";

const program = new Command("campaign-engine").description("Postgres-native campaign backend");

/** Runs `work` on the database, brought up to date first (sql/ only when it changed), then closes it. */
async function withCurrentDatabase(work: (db: Kysely<DB>, database: Database) => Promise<void>): Promise<void> {
  const database = await openDatabase();
  const db = createKysely(database.ownerUrl, { part: "cli", max: 1 });
  try {
    await migrate(database.ownerUrl, database.secrets.authenticatorPassword, { sqlFolder: "when-changed" });
    await work(db, database);
  } finally {
    await db.destroy();
    await database.close();
  }
}

program
  .command("migrate")
  .description("apply migrations/, graphile-worker's schema and sql/ to the database")
  .action(async () => {
    const database = await openDatabase();
    try {
      await migrate(database.ownerUrl, database.secrets.authenticatorPassword);
      console.log("database is up to date");
    } finally {
      await database.close();
    }
  });

program
  .command("token")
  .description("create the user if needed and print a bearer token for them (last line)")
  .argument("<email>", "the user's email address")
  .option("--admin", "make the user an admin", false)
  .action((email: string, options: { admin: boolean }) =>
    withCurrentDatabase(async (db, database) => {
      console.log(await issueToken(db, email, { admin: options.admin, secret: database.secrets.jwtSecret }));
    }),
  );

program
  .command("template:load")
  .description("create the master template campaign (kept if it exists); with FILE, load that content and publish it")
  .argument("[file]", "a template file (see template:export) to make the master template's content")
  .option("--note <text>", "what changed, for the version FILE publishes", "")
  .action((filePath: string | undefined, options: { note: string }) =>
    withCurrentDatabase(async (db, database) => {
      const progress = stepProgress("master template");
      const { campaignId, created } = await ensureMasterTemplate(database.ownerUrl, progress.update);
      progress.stop();
      console.log(created ? `master template created: campaign ${campaignId}` : `master template already there: campaign ${campaignId}`);
      if (!filePath) return;
      const version = await loadTemplateFile(db, filePath, options.note || `loaded from ${path.basename(filePath)}`);
      console.log(
        version === null
          ? `nothing to publish: ${filePath} is the current version's content`
          : `template version ${version} published from ${filePath}`,
      );
    }),
  );

program
  .command("template:export")
  .description("write the master template's content to a template file")
  .argument("<file>", "where to write it (JSON)")
  .action((filePath: string) =>
    withCurrentDatabase(async (db) => {
      const file = await exportTemplate(db);
      await writeFile(filePath, `${JSON.stringify(file, null, 1)}\n`);
      const counts = Object.entries(file.tables).map(([table, rows]) => `${rows.length} ${table}`);
      console.log(`wrote ${filePath}: ${file.images.length} images, ${counts.join(", ")}`);
    }),
  );

program
  .command("template:publish")
  .description("publish the master template's current content as the next version (new campaigns are seeded from it)")
  .option("--note <text>", "what changed", "")
  .action((options: { note: string }) =>
    withCurrentDatabase(async (db) => {
      const {
        rows: [published],
      } = await sql<{ version: number; row_counts: Record<string, number> }>`
        select version, row_counts from app_public.publish_template(${options.note})`.execute(db);
      const counts = Object.entries(published!.row_counts).map(([table, count]) => `${count} ${table}`);
      console.log(`template version ${published!.version} published: ${counts.join(", ")}`);
    }),
  );

program
  .command("participants:import")
  .description("import participants from a CSV file (external_id,tags[,email]; tags separated by ;), all or nothing")
  .argument("<file>", "the CSV file")
  .action((filePath: string) =>
    withCurrentDatabase(async (_db, database) => {
      const pool = createPool(database.ownerUrl, "cli", { max: 1 });
      const client = await pool.connect();
      const progress = byteProgress(`importing ${path.basename(filePath)}`, (await stat(filePath)).size);
      try {
        const result = await importParticipantsFile(client, filePath, progress.update);
        progress.stop();
        console.log(
          `imported ${filePath}: ${result.rows} rows, ${result.inserted} new participants, ${result.updated} changed, ${result.unchanged} unchanged`,
        );
      } finally {
        progress.stop();
        client.release();
        await pool.end();
      }
    }),
  );

program
  .command("demo")
  .description(
    "create a demo marketer, audience, target and campaigns, a gamemaster and an admin, and print their tokens (once: a second run changes nothing)",
  )
  .option(
    "--participants <count>",
    "participants to import",
    (value) => {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError("a whole number of at least 1");
      return count;
    },
    100_000,
  )
  .action((options: { participants: number }) =>
    withCurrentDatabase(async (db, database) => {
      const pool = createPool(database.ownerUrl, "cli", { max: 1 });
      const client = await pool.connect();
      let created: boolean;
      try {
        created = await ensureDemo(client, { participants: options.participants, onStep: (step) => console.log(`demo: ${step}`) });
      } finally {
        client.release();
        await pool.end();
      }
      const demo = await findDemo(db);
      if (!demo) throw new Error("the demo's marketer is missing right after the demo was made");
      console.log(await demoReport(demo, { created, jwtSecret: database.secrets.jwtSecret }));
    }),
  );

program
  .command("url")
  .description("print the owner connection string (for psql)")
  .action(async () => {
    const database = await openDatabase();
    console.log(database.ownerUrl);
    if (database.embedded) console.error("(the embedded cluster stays up only while `npm start` runs)");
    await database.close();
  });

await program.parseAsync().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});
