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
import { config, projectRoot } from "../config.ts";
import { describeServer, namedUrl, withClient } from "./connection.ts";
import { withUser } from "./database.ts";
import { isDatabaseUnavailable, retryWhileUnavailable } from "./unavailable.ts";
import type { DB } from "./kysely.ts";
import { AUTHENTICATOR_ROLE } from "./roles.ts";

const migrationsFolder = path.join(projectRoot, "migrations");
const sqlFolder = path.join(projectRoot, "sql");
// Any constant works; it only has to be the same for every process migrating this database.
const SQL_FOLDER_LOCK = 7_262_006;

// graphile-migrate's own logging is noisy for a start-up path; keep warnings and errors.
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(message);
});

function migrateSettings(ownerUrl: string) {
  return { connectionString: namedUrl(ownerUrl, "migrate"), migrationsFolder, logger: quietLogger };
}

async function applySqlFolder(ownerUrl: string): Promise<string[]> {
  const files = (await readdir(sqlFolder)).filter((name) => name.endsWith(".sql")).sort();
  await withClient(ownerUrl, "migrate", async (client) => {
    try {
      await client.query("begin");
      await client.query("select pg_advisory_xact_lock($1)", [SQL_FOLDER_LOCK]);
      for (const file of files) {
        try {
          await client.query(await readFile(path.join(sqlFolder, file), "utf8"));
        } catch (error) {
          throw Object.assign(new Error(`sql/${file}: ${(error as Error).message}`), { cause: error });
        }
      }
      await client.query("commit");
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    }
  });
  return files;
}

/**
 * Re-applying sql/ takes strong locks (create trigger, grants) while other instances, already
 * migrated, are at work on the same tables: Postgres may then pick the migration as a deadlock's
 * victim. Its transaction left nothing behind; it is simply run again.
 */
function isDeadlock(error: unknown): boolean {
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return code === "40P01" || (cause !== undefined && isDeadlock(cause));
}

/**
 * graphile-migrate gives the client it holds no `error` listener, so a connection dropped between
 * two of its queries (a restart) is an unhandled 'error' event that would end the process. While it
 * runs, such an error is caught here; its pending query fails too, and the migration is retried.
 */
async function runGraphileMigrate(ownerUrl: string): Promise<void> {
  const dropped = (error: Error) => {
    if (!isDatabaseUnavailable(error)) throw error;
    console.error(`migrate: database connection lost: ${error.message}`);
  };
  process.on("uncaughtException", dropped);
  try {
    await runCommittedMigrations(migrateSettings(ownerUrl));
  } finally {
    releaseMigratePools();
    process.off("uncaughtException", dropped);
  }
}

/**
 * Each step commits as a whole or not at all (a committed migration, the worker's schema, the sql/
 * folder in one transaction) and is idempotent, so a database that restarts in the middle is
 * simply migrated again once it answers (retryWhileUnavailable), from where it stopped.
 */
export async function migrate(ownerUrl: string, authenticatorPassword: string, signal?: AbortSignal): Promise<void> {
  await retryWhileUnavailable(`migrating the database at ${describeServer(ownerUrl)}`, async () => {
    await runGraphileMigrate(ownerUrl);
    await installWorkerSchema({ connectionString: namedUrl(ownerUrl, "migrate") });
    await applySqlFolder(ownerUrl);
    await ensureAuthenticatorPassword(ownerUrl, authenticatorPassword);
    await applyEnvironmentSettings(ownerUrl);
  }, { timeoutSeconds: config.databaseStartupTimeoutSeconds, signal, alsoRetry: isDeadlock });
}

/** Settings SQL reads (app_private.setting) that an environment variable overrides when it is set. */
async function applyEnvironmentSettings(ownerUrl: string): Promise<void> {
  const overrides = Object.entries({ campaign_rate_limit: config.campaignRateLimit }).filter(([, value]) => value !== undefined);
  if (overrides.length === 0) return;
  await withClient(ownerUrl, "migrate", async (client) => {
    for (const [name, value] of overrides) {
      await client.query("select app_private.set_setting($1, $2::jsonb)", [name, JSON.stringify(value)]);
    }
  });
}

/**
 * The API's login role is cluster-wide: set its password only when logging in with the configured
 * one fails, so that a migrate never changes it under another process that already works.
 */
async function ensureAuthenticatorPassword(ownerUrl: string, password: string): Promise<void> {
  try {
    await withClient(withUser(ownerUrl, AUTHENTICATOR_ROLE, password), "migrate", async () => {});
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== "28P01") throw error;
  }
  await withClient(ownerUrl, "migrate", (owner) => owner.query(`alter role ${AUTHENTICATOR_ROLE} password ${owner.escapeLiteral(password)}`));
}

/** Committed migrations not yet applied to the database (empty when it is current). */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const committed = (await readdir(path.join(migrationsFolder, "committed"))).filter((name) => name.endsWith(".sql"));
  const { rows } = await sql<{ filename: string }>`select filename from graphile_migrate.migrations`.execute(db);
  const applied = new Set(rows.map((row) => row.filename));
  // graphile-migrate records "000001.sql" for "000001-foundation.sql".
  return committed.filter((name) => !applied.has(`${name.split(/[-.]/)[0]}.sql`));
}
