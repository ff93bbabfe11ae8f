// `npm run migrate`: brings a database up to date, idempotently.
//   1. graphile-migrate applies the committed history in migrations/ (tables and data);
//   2. graphile-worker installs or upgrades its own schema;
//   3. every file in sql/ (functions, triggers, views, policies, grants) is re-applied in name order,
//      in one transaction, so a reader finds each function in exactly one file (skipped when the
//      database has these very files already, unless asked);
//   4. run-time settings the environment overrides are written to app_private.settings.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Logger, migrate as runCommittedMigrations } from "graphile-migrate";
import { runMigrations as installWorkerSchema } from "graphile-worker";
// graphile-migrate keeps its pool open for a moment after use and exits the process if one of
// those idle connections errors (a database dropped or restarted then); we end it right away.
import { clearAllPools as releaseMigratePools } from "graphile-migrate/dist/pgReal.js";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { config, projectRoot } from "../config.ts";
import { withUser } from "./database.ts";
import type { DB } from "./kysely.ts";
import { AUTHENTICATOR_ROLE } from "./roles.ts";

const migrationsFolder = path.join(projectRoot, "migrations");
const sqlFolder = path.join(projectRoot, "sql");
// Every command migrates before it starts, so instances started together migrate one database at
// once. graphile-migrate refuses ("Failed to get exclusive lock") instead of waiting when another
// migrate holds its lock, so a whole migrate runs under this lock, waited for: the second instance
// then finds the database current. Any constant works; every process must use the same one.
const MIGRATE_LOCK = 7_262_006;

// graphile-migrate's own logging is noisy for a start-up path; keep warnings and errors.
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(message);
});

function migrateSettings(ownerUrl: string) {
  return { connectionString: ownerUrl, migrationsFolder, logger: quietLogger };
}

// The digest of what sql/ was last applied to (these files, on these committed migrations and this
// graphile-worker schema), kept with the settings every process shares, so that a start that would
// apply the very same (another instance, a restart) leaves it be: re-creating triggers and
// policies takes table locks, which under the traffic of instances already running ends in deadlocks.
const SQL_DIGEST_SETTING = "sql_folder_digest";

/** Applies sql/ unless the database has exactly this applied already (or `always`); says whether it did. */
async function applySqlFolder(ownerUrl: string, { always }: { always: boolean }): Promise<boolean> {
  const names = (await readdir(sqlFolder)).filter((name) => name.endsWith(".sql")).sort();
  const files = await Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(sqlFolder, name), "utf8") })));
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows: [schema] } = await client.query<{ state: string }>(
      `select concat_ws(' ', (select string_agg(hash, ' ' order by filename) from graphile_migrate.migrations),
                             (select max(id) from graphile_worker.migrations)) as state`);
    const hash = createHash("sha256").update(`${schema!.state}\0`);
    for (const file of files) hash.update(`${file.name}\0${file.text}\0`);
    const digest = hash.digest("hex");
    if (!always) {
      const { rows: [applied] } = await client.query<{ digest: string }>(
        "select value #>> '{}' as digest from app_private.settings where name = $1", [SQL_DIGEST_SETTING]);
      if (applied?.digest === digest) return false;
    }
    await client.query("begin");
    for (const file of files) {
      try {
        await client.query(file.text);
      } catch (error) {
        throw new Error(`sql/${file.name}: ${(error as Error).message}`);
      }
    }
    await client.query("select app_private.set_setting($1, to_jsonb($2::text))", [SQL_DIGEST_SETTING, digest]);
    await client.query("commit");
    return true;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/** `reapplySql`: apply sql/ even when the database has it already (`npm run migrate` does). */
export async function migrate(ownerUrl: string, authenticatorPassword: string, { reapplySql = false } = {}): Promise<void> {
  // The lock is this session's: ending the client releases it, whatever happened in between.
  const lock = new pg.Client({ connectionString: ownerUrl });
  lock.on("error", () => {}); // a lost connection fails the migrate's own queries, which say why
  await lock.connect();
  try {
    await lock.query("select pg_advisory_lock($1)", [MIGRATE_LOCK]);
    try {
      await runCommittedMigrations(migrateSettings(ownerUrl));
    } finally {
      releaseMigratePools();
    }
    await installWorkerSchema({ connectionString: ownerUrl });
    await applySqlFolder(ownerUrl, { always: reapplySql });
    await ensureAuthenticatorPassword(ownerUrl, authenticatorPassword);
    await applyEnvironmentSettings(ownerUrl);
  } finally {
    await lock.end();
  }
}

/** Settings SQL reads (app_private.setting) that an environment variable overrides when it is set. */
async function applyEnvironmentSettings(ownerUrl: string): Promise<void> {
  const overrides = Object.entries({ campaign_rate_limit: config.campaignRateLimit }).filter(([, value]) => value !== undefined);
  if (overrides.length === 0) return;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    for (const [name, value] of overrides) {
      await client.query("select app_private.set_setting($1, $2::jsonb)", [name, JSON.stringify(value)]);
    }
  } finally {
    await client.end();
  }
}

/**
 * The API's login role is cluster-wide: set its password only when logging in with the configured
 * one fails, so that a migrate never changes it under another process that already works.
 */
async function ensureAuthenticatorPassword(ownerUrl: string, password: string): Promise<void> {
  const probe = new pg.Client({ connectionString: withUser(ownerUrl, AUTHENTICATOR_ROLE, password) });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== "28P01") throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(`alter role ${AUTHENTICATOR_ROLE} password ${owner.escapeLiteral(password)}`);
  } finally {
    await owner.end();
  }
}

/** Committed migrations not yet applied to the database (empty when it is current). */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const committed = (await readdir(path.join(migrationsFolder, "committed"))).filter((name) => name.endsWith(".sql"));
  const { rows } = await sql<{ filename: string }>`select filename from graphile_migrate.migrations`.execute(db);
  const applied = new Set(rows.map((row) => row.filename));
  // graphile-migrate records "000001.sql" for "000001-foundation.sql".
  return committed.filter((name) => !applied.has(`${name.split(/[-.]/)[0]}.sql`));
}
