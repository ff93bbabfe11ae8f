// `npm run migrate`: brings a database up to date, idempotently.
//   1. graphile-migrate applies the committed history in migrations/ (tables and data);
//   2. graphile-worker installs or upgrades its own schema;
//   3. every file in sql/ (functions, triggers, views, policies, grants) is re-applied in name order,
//      in one transaction, so a reader finds each function in exactly one file;
//   4. run-time settings the environment overrides are written to app_private.settings.
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

async function applySqlFolder(ownerUrl: string): Promise<string[]> {
  const files = (await readdir(sqlFolder)).filter((name) => name.endsWith(".sql")).sort();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    for (const file of files) {
      try {
        await client.query(await readFile(path.join(sqlFolder, file), "utf8"));
      } catch (error) {
        throw new Error(`sql/${file}: ${(error as Error).message}`);
      }
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  return files;
}

export async function migrate(ownerUrl: string, authenticatorPassword: string): Promise<void> {
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
    await applySqlFolder(ownerUrl);
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
